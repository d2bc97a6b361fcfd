"""Encryption at rest for personal fields, and keyed blind indexes for exact look-ups."""

from custos.crypto.keyfile import create_key_file, load_key_file, write_key_file
from custos.crypto.keyring import Key, KeyRing

__all__ = ["Key", "KeyRing", "create_key_file", "load_key_file", "write_key_file"]
