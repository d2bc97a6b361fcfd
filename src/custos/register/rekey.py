"""Key rotation: re-encrypt every personal field and recompute every blind index under a new key.

Resumable: the new key is added to the key file first (old keys stay, so everything still decrypts), the
register is re-encrypted in one transaction, and only then are the old keys removed. A crash at any point
leaves a key file that can read the whole database, and running the rotation again finishes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, update

from custos.crypto import Key, KeyRing, load_key_file, write_key_file
from custos.db import Database
from custos.register.models import Identity, Person
from custos.register.objections_models import Suppression
from custos.register.people import IDENTITY, NAME, TITLE
from custos.register.suppression import VALUE as SUPPRESSED

BATCH = 1000


@dataclass(frozen=True)
class RotationReport:
    new_key_id: int
    people: int
    identities: int
    retired_keys: list[int]


def rotate_keys(db: Database, key_file: Path, progress: Callable[[int, int], None] | None = None) -> RotationReport:
    ring = load_key_file(key_file)
    if len(ring.keys) == 1:
        # More than one key means a previous rotation died half-way: its new key is active and is reused.
        ring = KeyRing([*ring.keys, Key.generate(ring.active.id + 1)])
        write_key_file(key_file, ring)
    active = ring.active.id
    people = identities = 0
    with db.transaction() as session:
        total = int(session.scalar(select(func.count()).select_from(Person)) or 0)
        total += int(session.scalar(select(func.count()).select_from(Identity)) or 0)
        last = 0
        while rows := session.execute(
            select(Person.id, Person.name_enc, Person.title_enc)
            .where(Person.id > last)
            .order_by(Person.id)
            .limit(BATCH)
        ).all():
            changes = [
                {
                    "id": pid,
                    "name_enc": ring.encrypt(ring.decrypt(name, NAME), NAME),
                    "title_enc": ring.encrypt(ring.decrypt(title, TITLE), TITLE) if title else None,
                }
                for pid, name, title in rows
            ]
            session.execute(update(Person), changes)
            people += len(rows)
            last = rows[-1][0]
            if progress:
                progress(people + identities, total)
        last = 0
        while idents := session.execute(
            select(Identity.id, Identity.kind, Identity.value_enc)
            .where(Identity.id > last)
            .order_by(Identity.id)
            .limit(BATCH)
        ).all():
            changes = []
            for iid, kind, value_enc in idents:
                value = ring.decrypt(value_enc, IDENTITY)
                changes.append(
                    {
                        "id": iid,
                        "value_enc": ring.encrypt(value, IDENTITY),
                        "lookup": ring.blind_index(kind, value),
                    }
                )
            session.execute(update(Identity), changes)
            identities += len(idents)
            last = idents[-1][0]
            if progress:
                progress(people + identities, total)
        # The suppression list is matched by the same blind index, so it must move to the new key with the
        # identities, or an objector imported again would no longer be recognised (Art. 21(3)).
        last = 0
        while entries := session.execute(
            select(Suppression.id, Suppression.kind, Suppression.value_enc)
            .where(Suppression.id > last)
            .order_by(Suppression.id)
            .limit(BATCH)
        ).all():
            suppressed = []
            for sid, kind, value_enc in entries:
                value = ring.decrypt(value_enc, SUPPRESSED)
                suppressed.append(
                    {"id": sid, "value_enc": ring.encrypt(value, SUPPRESSED), "lookup": ring.blind_index(kind, value)}
                )
            session.execute(update(Suppression), suppressed)
            last = entries[-1][0]
    retired = [k.id for k in ring.keys if k.id != active]
    write_key_file(key_file, KeyRing([ring.active]))
    return RotationReport(new_key_id=active, people=people, identities=identities, retired_keys=retired)
