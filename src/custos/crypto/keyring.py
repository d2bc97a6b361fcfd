"""AES-256-GCM field encryption and HMAC-SHA256 blind indexes.

A value is stored as `version(1) | key id(2) | nonce(12) | ciphertext+tag`. The associated data names the
column (`person.name`), so a ciphertext copied into another column fails to decrypt. Look-ups never
decrypt: the normalised value is run through a keyed HMAC and matched against the stored index, so the
database holds no address in clear text and an attacker with only the database cannot test guesses.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from custos.errors import ConfigurationError

_FORMAT = 1
_HEADER = 3
_NONCE = 12


@dataclass(frozen=True)
class Key:
    id: int
    encryption: bytes
    index: bytes

    @staticmethod
    def generate(key_id: int) -> Key:
        return Key(id=key_id, encryption=AESGCM.generate_key(bit_length=256), index=os.urandom(32))


class KeyRing:
    """All keys known to this installation; the newest is the active one for writing."""

    def __init__(self, keys: list[Key]) -> None:
        if not keys:
            raise ConfigurationError("the key file holds no keys")
        self._keys = {key.id: key for key in keys}
        self._active = max(self._keys.values(), key=lambda k: k.id)
        self._ciphers = {key.id: AESGCM(key.encryption) for key in keys}
        # Keyed once; each index copies the keyed state instead of keying HMAC again (the same digest, faster).
        self._indexers = {key.id: hmac.new(key.index, digestmod=hashlib.sha256) for key in keys}
        self._header = bytes((_FORMAT,)) + self._active.id.to_bytes(2, "big")

    @property
    def active(self) -> Key:
        return self._active

    @property
    def keys(self) -> list[Key]:
        return sorted(self._keys.values(), key=lambda k: k.id)

    def encrypt(self, plaintext: str, field: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return self._header + nonce + self._ciphers[self._active.id].encrypt(nonce, plaintext.encode(), field.encode())

    def decrypt(self, blob: bytes, field: str) -> str:
        if len(blob) < _HEADER + _NONCE or blob[0] != _FORMAT:
            raise ConfigurationError(f"{field}: stored value is not in Custos's encrypted format")
        key_id = int.from_bytes(blob[1:_HEADER], "big")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise ConfigurationError(f"{field}: encrypted with key {key_id}, which is not in the key file")
        nonce = blob[_HEADER : _HEADER + _NONCE]
        try:
            return cipher.decrypt(nonce, blob[_HEADER + _NONCE :], field.encode()).decode()
        except InvalidTag:
            raise ConfigurationError(f"{field}: stored value fails its integrity check") from None

    def key_id_of(self, blob: bytes) -> int:
        return int.from_bytes(blob[1:_HEADER], "big")

    def blind_index(self, kind: str, normalised: str) -> bytes:
        return self._index_with(self._active, kind, normalised)

    def blind_indexes(self, kind: str, normalised: str) -> list[bytes]:
        """The index under every known key: a look-up still finds rows while a rotation is half done."""
        return [self._index_with(key, kind, normalised) for key in self.keys]

    def _index_with(self, key: Key, kind: str, normalised: str) -> bytes:
        mac = self._indexers[key.id].copy()
        mac.update(f"{kind}:{normalised}".encode())
        return mac.digest()
