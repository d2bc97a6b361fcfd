"""A selection as CSV for an external mailing tool: only the people the selection includes, audited."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.audit.actions import Action
from custos.clock import today
from custos.crypto import KeyRing
from custos.mailings import selection as selections
from custos.register.models import Identity, Person
from custos.register.people import IDENTITY, NAME
from custos.work import Work

COLUMNS = ("ref", "name", "email")
_CHUNK = 1000


def _rows(session: Session, keys: KeyRing, ids: list[int]) -> Iterator[tuple[str, str, str]]:
    people = session.execute(select(Person.id, Person.ref, Person.name_enc).where(Person.id.in_(ids))).all()
    emails: dict[int, bytes] = {}
    for person_id, value in session.execute(
        select(Identity.person_id, Identity.value_enc)
        .where(Identity.person_id.in_(ids), Identity.kind == "email")
        .order_by(Identity.id.desc())
    ):
        emails[person_id] = value  # the first address per person wins (read last, newest first)
    for person_id, ref, name_enc in sorted(people):
        address = emails.get(person_id)
        yield ref, keys.decrypt(name_enc, NAME), keys.decrypt(address, IDENTITY) if address else ""


def export_csv(work: Work, selection_id: int, out: IO[str]) -> int:
    """Write the selection's people to `out`; returns how many. One audit event names the selection and count."""
    session, keys = work.session, work.keys
    criteria = selections.criteria_of(selections.get(session, selection_id))
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    chunk: list[int] = []
    written = 0
    for person_id in selections.member_ids(session, work.policy, criteria, today(work.clock)):
        chunk.append(person_id)
        if len(chunk) == _CHUNK:
            writer.writerows(_rows(session, keys, chunk))
            written += len(chunk)
            chunk = []
    if chunk:
        writer.writerows(_rows(session, keys, chunk))
        written += len(chunk)
    work.audit(Action.SELECTION_EXPORT, target=f"selection:{selection_id}", details={"people": written})
    return written
