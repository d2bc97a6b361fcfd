"""The block trees are RFC 6962's: the root matches the recursive definition, and every audit path leads to it."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from custos.audit import merkle


def reference_root(leaves: list[bytes]) -> bytes:
    """MTH exactly as RFC 6962 §2.1 writes it, recursively."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + reference_root(leaves[:k]) + reference_root(leaves[k:])).digest()


leaf_lists = st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=70)


@given(leaf_lists)
def test_the_root_is_rfc_6962s(leaves: list[bytes]) -> None:
    assert merkle.root([merkle.leaf_node(entry) for entry in leaves]) == reference_root(leaves)


@given(leaf_lists, st.data())
def test_every_audit_path_leads_to_the_root_and_only_for_its_own_leaf(leaves: list[bytes], data: st.DataObject) -> None:
    leaves = [merkle.leaf_node(entry) for entry in leaves]
    index = data.draw(st.integers(0, len(leaves) - 1))
    path = merkle.inclusion_path(leaves, index)
    assert merkle.root_from_path(leaves[index], index, len(leaves), path) == merkle.root(leaves)
    other = bytes(b ^ 1 for b in leaves[index])
    assert merkle.root_from_path(other, index, len(leaves), path) != merkle.root(leaves)
    if len(leaves) > 1:
        elsewhere = (index + 1) % len(leaves)
        try:
            moved = merkle.root_from_path(leaves[index], elsewhere, len(leaves), path)
        except ValueError:
            return  # a path of the wrong length for that place is refused outright
        assert moved != merkle.root(leaves) or leaves[index] == leaves[elsewhere]


def test_a_known_vector() -> None:
    # RFC 6962 test vector style: the empty tree is the hash of nothing.
    assert merkle.root([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
