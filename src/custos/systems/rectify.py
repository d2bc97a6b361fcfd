"""Rectification of a person in one customer system (Art. 16): one transaction, only the columns the mapping
says hold the corrected values.

Which columns change (docs/systems.md, "Rectification"):
- a corrected email or phone replaces the old value in the identity columns of that kind, in the person's rows,
  where the column holds exactly the old value (a ticket's requester address that was another address stays);
- a corrected name or title is written to the columns a table's `rectify:` names for it (`rectify: {full_name:
  name}`), in the person's rows; in a table with identity columns, only rows whose identity is the person's (a
  contact row under their customer row, with another address, is someone else). A column the mapping does not
  mark is never guessed at.

The person's rows are found (and locked) by the same walk as export and erasure, with the old identities. Any
failure rolls the whole system back and raises `SystemFailed` naming the system and the table. Running it again
finds the rows under their new values or not at all, and changes nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BindParameter, Connection, Engine, bindparam, tuple_, update
from sqlalchemy.exc import SQLAlchemyError

from custos.systems.export import _unreachable
from custos.systems.find import CHUNK, clause, failure, walk
from custos.systems.keys import SubjectKeys
from custos.systems.mapping import DatasetMapping

FIELDS = ("name", "title")


@dataclass(frozen=True)
class Rectification:
    """What to correct: an identity replaced (old → new, both normalised) and register fields set."""

    email: tuple[str, str] | None = None
    phone: tuple[str, str] | None = None
    fields: dict[str, str] = field(default_factory=dict)  # name | title → the new value

    def __bool__(self) -> bool:
        return bool(self.email or self.phone or self.fields)

    def as_dict(self) -> dict[str, Any]:
        return {
            **({"email": list(self.email)} if self.email else {}),
            **({"phone": list(self.phone)} if self.phone else {}),
            **self.fields,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rectification:
        email, phone = data.get("email"), data.get("phone")
        return cls(
            email=(str(email[0]), str(email[1])) if email else None,
            phone=(str(phone[0]), str(phone[1])) if phone else None,
            fields={k: str(data[k]) for k in FIELDS if data.get(k)},
        )

    def describe(self) -> list[str]:
        """The changes in words, without the values (for counts, audit and a letter's list of fields)."""
        return [name for name in ("email", "phone") if getattr(self, name)] + sorted(self.fields)


def rectify_subject(
    engine: Engine, mapping: DatasetMapping, keys: SubjectKeys, changes: Rectification
) -> dict[str, int]:
    """Correct the person's rows in this system; returns the rows changed per table (tables with none left out)."""
    counts: dict[str, int] = {}
    if not keys or not changes:
        return counts
    try:
        connection = engine.connect()
    except SQLAlchemyError as exc:
        raise _unreachable(mapping, engine, exc) from None
    with connection, connection.begin():
        for found in list(walk(connection, mapping, keys, _wanted(mapping), lock=True)):
            spec = mapping.tables[found.table]
            # Rows needing the same new values are updated together, by key.
            groups: dict[tuple[tuple[str, str], ...], list[tuple[Any, ...]]] = {}
            for row in found.rows:
                values: dict[str, str] = {}
                for col, kind in spec.identity.items():
                    old_new = changes.email if kind == "email" else changes.phone if kind == "phone" else None
                    if old_new is not None and old_new[0] and row.get(col) == old_new[0]:
                        values[col] = old_new[1]
                # A row of a table with identity columns is the person's own only when one of them is the
                # person's: a contact row under their customer row, with another address, is someone else.
                own = not spec.identity or any(
                    row.get(col) is not None and row.get(col) in keys.values(kind)
                    for col, kind in spec.identity.items()
                )
                for col, name in spec.rectify.items():
                    if own and name in changes.fields and row.get(col) != changes.fields[name]:
                        values[col] = changes.fields[name]
                if values:
                    groups.setdefault(tuple(sorted(values.items())), []).append(tuple(row[k] for k in spec.key))
            try:
                for values_key, rows in groups.items():
                    _update(connection, mapping, found.table, dict(values_key), rows)
            except SQLAlchemyError as exc:
                raise failure(mapping, connection, found.table, "correcting", exc) from None
            changed = sum(len(rows) for rows in groups.values())
            if changed:
                counts[found.table] = changed
    return counts


def _wanted(mapping: DatasetMapping) -> dict[str, list[str]]:
    """The walk reads the identity columns already; the marked columns are read too, to skip rows already right."""
    return {name: list(spec.rectify) for name, spec in mapping.tables.items() if spec.rectify}


def _update(
    connection: Connection, mapping: DatasetMapping, name: str, values: dict[str, str], rows: list[tuple[Any, ...]]
) -> None:
    key = mapping.tables[name].key
    target = clause(mapping, name, [*key, *values])
    keys: BindParameter[Any] = bindparam("keys", expanding=True)
    where = target.c[key[0]].in_(keys) if len(key) == 1 else tuple_(*(target.c[k] for k in key)).in_(keys)
    statement = update(target).where(where).values(values)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        connection.execute(statement, {"keys": [r[0] for r in chunk] if len(key) == 1 else chunk})
