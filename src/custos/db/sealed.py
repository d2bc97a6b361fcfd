"""The registry of sealed (encrypted) columns: each module that writes one with `keys.encrypt` declares it here.

Key rotation (`custos.register.rekey`) re-encrypts exactly what this registry holds and then retires the old
keys, so a sealed column missing from it would become unreadable. Rotation therefore compares the registry
with the live database first and refuses to start while any `*_enc` column there is not declared.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from custos.crypto import KeyRing

# Called once per batch with the batch's plaintexts, {row id: {column: text}}, to rewrite what is derived
# from them under the new key (the register's name tokens).
AfterBatch = Callable[[Session, KeyRing, dict[int, dict[str, str]]], None]


@dataclass(frozen=True)
class Lookup:
    """A blind-index column recomputed from a sealed one: of a fixed `kind`, or of the kind a row names in
    `kind_column`."""

    column: str
    source: str
    kind: str | None = None
    kind_column: str | None = None


@dataclass(frozen=True)
class Sealed:
    """A table's sealed columns: column -> the field name it is bound to (AES-GCM associated data)."""

    table: type[Any]
    fields: Mapping[str, str]
    lookups: tuple[Lookup, ...] = ()
    after_batch: AfterBatch | None = field(default=None, compare=False)

    @property
    def table_name(self) -> str:
        return str(self.table.__tablename__)


_REGISTRY: dict[str, Sealed] = {}


def seal(
    table: type[Any],
    fields: Mapping[str, str],
    *,
    lookups: tuple[Lookup, ...] = (),
    after_batch: AfterBatch | None = None,
) -> Sealed:
    """Declare `table`'s sealed columns; called once, at import, by the module that encrypts them."""
    entry = Sealed(table, dict(fields), lookups, after_batch)
    if entry.table_name in _REGISTRY and _REGISTRY[entry.table_name] != entry:
        raise RuntimeError(f"the sealed columns of {entry.table_name} are declared twice, differently")
    _REGISTRY[entry.table_name] = entry
    return entry


def sealed_tables() -> tuple[Sealed, ...]:
    return tuple(_REGISTRY.values())


def undeclared(columns: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Those of the (table, column) pairs named `*_enc` that no module declared."""
    declared = {(s.table_name, column) for s in _REGISTRY.values() for column in s.fields}
    return {pair for pair in columns if pair[1].endswith("_enc")} - declared
