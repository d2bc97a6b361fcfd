"""Restriction of processing (Art. 18): while restricted, a person's data is only stored.

Restricted people are left out of every selection, mailing and export until the restriction is lifted; lifting
needs a reason, and the subject is to be told before it happens (Art. 18(3)), which the caller records as
the reason's reference.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.audit.actions import Action
from custos.errors import Conflict, InvalidInput, NotFound, Problem
from custos.register.models import Person
from custos.register.objections_models import Restriction
from custos.work import Work


def _person_id(session: Session, person_ref: str) -> int:
    person_id = session.scalar(select(Person.id).where(Person.ref == person_ref))
    if person_id is None:
        raise NotFound(f"No person with ref {person_ref!r} in the register.")
    return person_id


def _active(session: Session, person_id: int) -> Restriction | None:
    return session.scalar(
        select(Restriction).where(Restriction.person_id == person_id, Restriction.lifted_at.is_(None)).limit(1)
    )


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise InvalidInput("a reason is required", [Problem("reason", "is empty", hint="e.g. accuracy contested")])
    return text


def restrict(work: Work, person_ref: str, *, reason: str, reference: str | None = None) -> None:
    """Restrict the person's data; restricting someone already restricted changes nothing."""
    session = work.session
    text = _reason(reason)
    person_id = _person_id(session, person_ref)
    if _active(session, person_id) is not None:
        return
    entry = Restriction(
        person_id=person_id,
        reason=text,
        reference=reference,
        restricted_at=work.clock.now(),
        restricted_by=work.actor.label[:100],
    )
    session.add(entry)
    session.flush()
    work.audit(
        Action.RESTRICTION_ADD,
        subject=person_ref,
        target=f"restriction:{entry.id}",
        reference=reference,
    )


def lift(work: Work, person_ref: str, *, reason: str) -> None:
    text = _reason(reason)
    person_id = _person_id(work.session, person_ref)
    entry = _active(work.session, person_id)
    if entry is None:
        raise Conflict(f"the data of {person_ref} is not restricted")
    entry.lifted_at = work.clock.now()
    entry.lifted_by = work.actor.label[:100]
    entry.lift_reason = text
    work.audit(Action.RESTRICTION_LIFT, subject=person_ref, target=f"restriction:{entry.id}")


def is_restricted(work: Work, person_id: int) -> bool:
    return _active(work.session, person_id) is not None
