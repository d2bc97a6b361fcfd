"""The key file: JSON with base64 keys, written atomically with mode 0600."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

from custos.crypto.keyring import Key, KeyRing
from custos.errors import ConfigurationError


def create_key_file(path: Path) -> KeyRing:
    """Create the key file if it does not exist; an existing file is never overwritten."""
    if path.exists():
        return load_key_file(path)
    ring = KeyRing([Key.generate(1)])
    write_key_file(path, ring)
    return ring


def load_key_file(path: Path) -> KeyRing:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(f"key file {path} does not exist; run `custos init` to create it") from None
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigurationError(f"key file {path} is readable by others (mode {mode:o}); run chmod 600 {path}")
    try:
        data = json.loads(raw)
        keys = [
            Key(
                id=int(item["id"]),
                encryption=base64.b64decode(item["encryption"]),
                index=base64.b64decode(item["index"]),
            )
            for item in data["keys"]
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(f"key file {path} is damaged: {exc}") from None
    return KeyRing(keys)


def write_key_file(path: Path, ring: KeyRing) -> None:
    """Write to a temporary file and rename, so a crash leaves either the old or the new file whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": 1,
        "keys": [
            {
                "id": key.id,
                "encryption": base64.b64encode(key.encryption).decode(),
                "index": base64.b64encode(key.index).decode(),
            }
            for key in ring.keys
        ],
    }
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
