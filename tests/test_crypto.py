import os
from pathlib import Path

import pytest

from custos.crypto import Key, KeyRing, create_key_file, load_key_file
from custos.errors import ConfigurationError


def test_key_file_is_created_private_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "var" / "custos.key"
    ring = create_key_file(path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    again = create_key_file(path)
    assert again.active.encryption == ring.active.encryption


def test_world_readable_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "custos.key"
    create_key_file(path)
    os.chmod(path, 0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        load_key_file(path)


def test_round_trip_and_column_binding() -> None:
    ring = KeyRing([Key.generate(1)])
    blob = ring.encrypt("Anna Svensson", "person.name")
    assert b"Anna" not in blob
    assert ring.decrypt(blob, "person.name") == "Anna Svensson"
    with pytest.raises(ConfigurationError, match="integrity"):
        ring.decrypt(blob, "person.title")


def test_blind_index_is_keyed_and_stable() -> None:
    one, two = KeyRing([Key.generate(1)]), KeyRing([Key.generate(1)])
    assert one.blind_index("email", "a@b.se") == one.blind_index("email", "a@b.se")
    assert one.blind_index("email", "a@b.se") != two.blind_index("email", "a@b.se")
    assert one.blind_index("email", "a@b.se") != one.blind_index("phone", "a@b.se")


def test_old_values_decrypt_after_a_new_key_is_added() -> None:
    old = Key.generate(1)
    blob = KeyRing([old]).encrypt("x", "f")
    ring = KeyRing([old, Key.generate(2)])
    assert ring.active.id == 2
    assert ring.decrypt(blob, "f") == "x"
    assert len(ring.blind_indexes("email", "a@b.se")) == 2
