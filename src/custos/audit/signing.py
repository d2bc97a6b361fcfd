"""Signed block heads: an Ed25519 signature over each block's head, so an outside witness can hold them.

The signing key is derived (HKDF-SHA256) from the installation's key of the same id, so it needs no key file
of its own and rotates with the rest (`custos keys rotate`); each block names the key that signed it. The
public keys travel with the exported heads (`custos audit heads`): a witness who keeps them can later show that
a head was the installation's and that the log has not been rewritten since (Art. 5(2), 33(5)).
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from custos.crypto.keyring import Key, KeyRing

_INFO = b"custos audit block signing v1"


def _private(key: Key) -> Ed25519PrivateKey:
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(key.index)
    return Ed25519PrivateKey.from_private_bytes(seed)


def sign(keys: KeyRing, head: str) -> tuple[int, str]:
    """(key id, hex signature) over the 32 bytes of `head`, with the active key."""
    key = keys.active
    return key.id, _private(key).sign(bytes.fromhex(head)).hex()


def public_keys(keys: KeyRing) -> dict[int, str]:
    """Every known key's public signing key, hex (raw 32 bytes), by key id."""
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    return {key.id: _private(key).public_key().public_bytes(*raw).hex() for key in keys.keys}


def signature_ok(public_key: str, head: str, signature: str) -> bool:
    """Check one head's signature with a hex public key, as a witness would (no Custos key needed)."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key)).verify(
            bytes.fromhex(signature), bytes.fromhex(head)
        )
    except (InvalidSignature, ValueError):
        return False
    return True
