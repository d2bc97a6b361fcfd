"""Placing a legal hold (Art. 17(3)(e)), and what it stops at once.

A hold is retention's record (`custos.retention.holds` releases and lists them), but placing one also changes
erase instructions already out — manual tasks, failed system runs and open erasure requests — so it lives
here, above the areas whose instructions it rewrites (`hold_effects`).
"""

from __future__ import annotations

from sqlalchemy import select

from custos.audit.actions import Action
from custos.casework.hold_effects import people_held, stop_open_erasures
from custos.clock import today
from custos.errors import NotFound
from custos.register.models import Organisation, Person
from custos.retention.holds import hold_public, is_active
from custos.retention.models import LegalHold
from custos.retention.schemas import HoldCreate, HoldPublic
from custos.work import Work


def add_hold(work: Work, data: HoldCreate) -> HoldPublic:
    """Place a hold; erase instructions already out for the people it covers now keep what they would erase."""
    session, clock = work.session, work.clock
    hold = LegalHold(
        reason=data.reason,
        starts_on=data.starts_on or today(clock),
        ends_on=data.ends_on,
        created_by=work.actor.label,
        created_at=clock.now(),
    )
    if data.person_ref is not None:
        person_id = session.scalar(select(Person.id).where(Person.ref == data.person_ref))
        if person_id is None:
            raise NotFound(f"no person {data.person_ref} in the register")
        hold.person_id, hold.person_ref = person_id, data.person_ref
    else:
        if session.get(Organisation, data.organisation_id) is None:
            raise NotFound(f"no organisation {data.organisation_id} in the register")
        hold.organisation_id = data.organisation_id
    session.add(hold)
    session.flush()
    work.audit(
        Action.RETENTION_HOLD_ADD,
        subject=hold.person_ref,
        target=f"legal_hold:{hold.id}",
        details={
            "organisation": hold.organisation_id,
            "starts_on": hold.starts_on.isoformat(),
            "ends_on": hold.ends_on.isoformat() if hold.ends_on else None,
        },
    )
    if is_active(hold, today(clock)):
        held = people_held(session, hold.person_ref, hold.organisation_id)
        stop_open_erasures(work, held, hold.id)
    return hold_public(session, hold, today(clock))
