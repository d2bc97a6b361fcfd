"""Key rotation: re-encrypt every personal field and recompute every blind index (the name tokens too) under a
new key.

Resumable: the new key is added to the key file first (old keys stay, so everything still decrypts), the
register is re-encrypted in one transaction, and only then are the old keys removed. A crash at any point
leaves a key file that can read the whole database, and running the rotation again finishes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from custos.crypto import Key, KeyRing, load_key_file, write_key_file
from custos.db import Database
from custos.register import name_index
from custos.register.models import Identity, Person
from custos.register.objections_models import Suppression
from custos.register.people import IDENTITY, NAME, TITLE
from custos.register.suppression import VALUE as SUPPRESSED
from custos.register.upload_models import ImportUpload
from custos.register.uploads import UPLOAD_ERROR, UPLOAD_FILE, UPLOAD_NAME, UPLOAD_PROBLEMS, UPLOAD_REJECTS
from custos.requests import cases
from custos.requests.models import SubjectRequest
from custos.systems.models import SystemRun, SystemSubjectKeys, SystemTask
from custos.systems.tasks import KEYS_FIELD, NOTE_FIELD

BATCH = 1000


@dataclass(frozen=True)
class Sealed:
    """A table's encrypted columns other than the register's own: column -> the field name it is bound to
    (AES-GCM associated data), and blind-index columns recomputed from a sealed column: column -> (kind, source)."""

    table: type[Any]
    fields: dict[str, str]
    lookups: dict[str, tuple[str, str]] = field(default_factory=dict)


# Every other encrypted column in Custos. The old keys are removed at the end of a rotation, so a column left
# out here could no longer be read; a test walks the models for `*_enc` columns and fails on one not listed.
SEALED: tuple[Sealed, ...] = (
    Sealed(
        SubjectRequest,
        {
            "email_enc": cases.EMAIL,
            "phone_enc": cases.PHONE,
            "organisation_enc": cases.ORGANISATION,
            "details_enc": cases.DETAILS,
            "changes_enc": cases.CHANGES,
        },
        {"email_lookup": ("email", "email_enc")},
    ),
    Sealed(SystemRun, {"keys_enc": KEYS_FIELD}),
    Sealed(SystemTask, {"identities_enc": KEYS_FIELD, "note_enc": NOTE_FIELD}),
    Sealed(SystemSubjectKeys, {"keys_enc": KEYS_FIELD}),
    # An upload waiting for its import (at most two hours) must still open after a rotation retires the old key.
    Sealed(
        ImportUpload,
        {
            "name_enc": UPLOAD_NAME,
            "content_enc": UPLOAD_FILE,
            "rejects_enc": UPLOAD_REJECTS,
            "problems_enc": UPLOAD_PROBLEMS,
            "error_enc": UPLOAD_ERROR,
        },
    ),
)


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
            names = {pid: ring.decrypt(name, NAME) for pid, name, _ in rows}
            changes = [
                {
                    "id": pid,
                    "name_enc": ring.encrypt(names[pid], NAME),
                    "title_enc": ring.encrypt(ring.decrypt(title, TITLE), TITLE) if title else None,
                }
                for pid, _, title in rows
            ]
            session.execute(update(Person), changes)
            # The name tokens are keyed from the index key that is retired below: rewritten under the new one.
            name_index.replace_tokens(session, ring, names)
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
        for sealed in SEALED:
            _reseal(session, ring, sealed)
    retired = [k.id for k in ring.keys if k.id != active]
    write_key_file(key_file, KeyRing([ring.active]))
    return RotationReport(new_key_id=active, people=people, identities=identities, retired_keys=retired)


def _reseal(session: Session, ring: KeyRing, sealed: Sealed) -> None:
    table = sealed.table
    columns = [getattr(table, name) for name in sealed.fields]
    last = 0
    while rows := session.execute(
        select(table.id, *columns).where(table.id > last).order_by(table.id).limit(BATCH)
    ).all():
        changes = []
        for row in rows:
            values = dict(zip(sealed.fields, row[1:], strict=True))
            plain = {name: ring.decrypt(blob, sealed.fields[name]) for name, blob in values.items() if blob is not None}
            change: dict[str, Any] = {"id": row[0]}
            change.update({name: ring.encrypt(text, sealed.fields[name]) for name, text in plain.items()})
            for column, (kind, source) in sealed.lookups.items():
                if source in plain:
                    change[column] = ring.blind_index(kind, plain[source])
            changes.append(change)
        session.execute(update(table), changes)
        last = rows[-1][0]
