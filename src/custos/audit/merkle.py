"""The Merkle tree of one sealed block, as RFC 6962 (Certificate Transparency) defines it.

The leaves are the events, in `seq` order, and an event's `hash` is its RFC 6962 leaf hash,
SHA-256(0x00 || its canonical bytes) (`chain.leaf_hash`), so the tree is built from the stored hashes. The
tree hash is

    MTH({})       = SHA-256()
    MTH({d0})     = SHA-256(0x00 || d0)
    MTH(D[0:n])   = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))   k the largest power of two < n

so a root computed here can be checked with any RFC 6962 implementation, and an inclusion proof (the audit
path of section 2.1.1) shows that one event is in a block without handing over the other events: an auditor
who holds a signed block head can check a single event that a data subject or a court asks about.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

_sha256 = hashlib.sha256


def leaf_node(entry: bytes) -> bytes:
    """RFC 6962's leaf hash of an entry's bytes."""
    return _sha256(b"\x00" + entry).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right).digest()


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH from the leaf hashes (`leaf_node` of each entry, 32 bytes), bottom-up: the same value as the
    recursive definition."""
    if not leaves:
        return _sha256(b"").digest()
    level = list(leaves)
    # Pairing left to right and carrying an odd last node up unchanged builds exactly RFC 6962's tree: its
    # left subtrees are always complete (a power of two), so the odd node is always a right-edge one.
    while len(level) > 1:
        paired = [_node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def inclusion_path(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path for leaf `index` (of leaf hashes): the sibling hashes from the leaf up to the root."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf {index} is not in a tree of {len(leaves)}")
    path: list[bytes] = []
    level = list(leaves)
    position = index
    while len(level) > 1:
        sibling = position ^ 1
        if sibling < len(level):
            path.append(level[sibling])
        paired = [_node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level, position = paired, position // 2
    return path


def root_from_path(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes:
    """The root that `path` leads to from the leaf hash `leaf` at `index` in a tree of `size` leaves
    (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    fn, sn = index, size - 1
    node = leaf
    for sibling in path:
        if sn == 0:
            raise ValueError("the path is longer than the tree is deep")
        if fn % 2 == 1 or fn == sn:
            node = _node(sibling, node)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            node = _node(node, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ValueError("the path is shorter than the tree is deep")
    return node
