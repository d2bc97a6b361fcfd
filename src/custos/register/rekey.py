"""Key rotation: re-encrypt every personal field and recompute every blind index (the name tokens too) under a
new key.

Resumable: the new key is added to the key file first (old keys stay, so everything still decrypts), the
register is re-encrypted in one unit of work, with the `keys.rotate` event that records it (Art. 32(1)(a)),
and only then are the old keys removed. A crash at any point leaves a key file that can read the whole
database, and running the rotation again finishes it.

What is re-encrypted is what the modules that seal columns declared in `custos.db.sealed`; the other modules'
declarations are loaded with the modules that write those columns (the CLI and the app import them all).
Rotation checks the live schema against the declarations before it starts, so one not loaded stops it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, inspect, select, update
from sqlalchemy.orm import Session

import custos.register.sealed  # noqa: F401  (declares Person and Identity, which every rotation moves)
from custos.actor import Actor
from custos.audit.actions import Action
from custos.crypto import Key, KeyRing, load_key_file, write_key_file
from custos.db.sealed import Sealed, sealed_tables, undeclared
from custos.errors import ConfigurationError
from custos.register.models import Identity, Person

if TYPE_CHECKING:
    from custos.runtime import Runtime

BATCH = 1000


@dataclass(frozen=True)
class RotationReport:
    new_key_id: int
    people: int
    identities: int
    retired_keys: list[int]


def rotate_keys(
    runtime: Runtime, actor: Actor, key_file: Path, progress: Callable[[int, int], None] | None = None
) -> RotationReport:
    """Re-encrypt every column declared in `custos.db.sealed` as `actor`; refuses before touching the key file
    when the database holds a sealed column nobody declared, since retiring the old key would make it
    unreadable."""
    with runtime.work(actor) as work:
        _refuse_undeclared(work.session)
    ring = load_key_file(key_file)
    if len(ring.keys) == 1:
        # More than one key means a previous rotation died half-way: its new key is active and is reused.
        ring = KeyRing([*ring.keys, Key.generate(ring.active.id + 1)])
        write_key_file(key_file, ring)
    active = ring.active.id
    retired = [k.id for k in ring.keys if k.id != active]
    rotated: dict[str, int] = {}
    with runtime.work(actor) as work:
        session = work.session
        tables = sealed_tables()
        total = sum(int(session.scalar(select(func.count()).select_from(s.table)) or 0) for s in tables)
        done = 0

        def advance(rows: int) -> None:
            nonlocal done
            done += rows
            if progress:
                progress(done, total)

        for entry in tables:
            rotated[entry.table_name] = _reseal(session, ring, entry, advance)
        report = RotationReport(
            new_key_id=active,
            people=rotated.get(Person.__tablename__, 0),
            identities=rotated.get(Identity.__tablename__, 0),
            retired_keys=retired,
        )
        # With the re-encryption it records; the keys it names as retired are removed from the file next, and
        # a rotation that dies before that is finished by the next run.
        work.audit(
            Action.KEYS_ROTATE,
            details={
                "new_key_id": report.new_key_id,
                "people": report.people,
                "identities": report.identities,
                "retired_keys": report.retired_keys,
            },
        )
    write_key_file(key_file, KeyRing([ring.active]))
    return report


def _refuse_undeclared(session: Session) -> None:
    schema = inspect(session.connection())
    columns = {(table, column["name"]) for table in schema.get_table_names() for column in schema.get_columns(table)}
    missing = undeclared(columns)
    if missing:
        named = ", ".join(f"{table}.{column}" for table, column in sorted(missing))
        raise ConfigurationError(
            f"key rotation would leave {named} unreadable: no module declared it (custos.db.sealed.seal), "
            "or the module that does was not imported"
        )


def _reseal(session: Session, ring: KeyRing, sealed: Sealed, advance: Callable[[int], None]) -> int:
    table = sealed.table
    kind_columns = sorted({lookup.kind_column for lookup in sealed.lookups if lookup.kind_column})
    columns = [getattr(table, name) for name in (*sealed.fields, *kind_columns)]
    count = last = 0
    while rows := session.execute(
        select(table.id, *columns).where(table.id > last).order_by(table.id).limit(BATCH)
    ).all():
        changes = []
        batch: dict[int, dict[str, str]] = {}
        for row in rows:
            values = dict(zip((*sealed.fields, *kind_columns), row[1:], strict=True))
            plain = {
                name: ring.decrypt(values[name], field)
                for name, field in sealed.fields.items()
                if values[name] is not None
            }
            change: dict[str, Any] = {"id": row[0]}
            change.update({name: ring.encrypt(text, sealed.fields[name]) for name, text in plain.items()})
            for lookup in sealed.lookups:
                kind = lookup.kind or values[str(lookup.kind_column)]
                if lookup.source in plain:
                    change[lookup.column] = ring.blind_index(kind, plain[lookup.source])
            changes.append(change)
            batch[row[0]] = plain
        session.execute(update(table), changes)
        if sealed.after_batch is not None:
            sealed.after_batch(session, ring, batch)
        count += len(rows)
        last = rows[-1][0]
        advance(len(rows))
    return count
