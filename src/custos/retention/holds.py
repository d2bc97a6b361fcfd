"""Legal holds: placing, releasing and listing them; each change is audited in the same transaction.

Art. 17(3)(e): data needed for the establishment, exercise or defence of legal claims may be kept beyond its
retention period. A hold says so for one person, or for everyone related to us through one organisation,
with a reason and a period; the sweep re-checks holds when it erases, so a hold placed mid-sweep still counts,
and erase instructions already sent out for the people it covers keep what they would erase (`hold_effects`).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.audit.actions import Action
from custos.clock import today
from custos.errors import Conflict, NotFound
from custos.register.models import Organisation, Person
from custos.retention.hold_effects import people_held, stop_open_erasures
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
    return _public(session, hold, today(clock))


def release_hold(work: Work, hold_id: int) -> HoldPublic:
    session, clock = work.session, work.clock
    hold = session.get(LegalHold, hold_id)
    if hold is None:
        raise NotFound(f"no legal hold {hold_id}")
    if hold.released_at is not None:
        raise Conflict(f"legal hold {hold_id} was already released")
    hold.released_at, hold.released_by = clock.now(), work.actor.label
    session.flush()
    work.audit(Action.RETENTION_HOLD_RELEASE, subject=hold.person_ref, target=f"legal_hold:{hold.id}")
    return _public(session, hold, today(clock))


def list_holds(work: Work, *, include_inactive: bool = False) -> list[HoldPublic]:
    session, on = work.session, today(work.clock)
    holds = [_public(session, h, on) for h in session.scalars(select(LegalHold).order_by(LegalHold.id))]
    return holds if include_inactive else [h for h in holds if h.active]


def is_active(hold: LegalHold, on: date) -> bool:
    """The same rule as `loader.active_hold_filter`: first day through last day, until released."""
    return hold.released_at is None and hold.starts_on <= on and (hold.ends_on is None or hold.ends_on >= on)


def _public(session: Session, hold: LegalHold, on: date) -> HoldPublic:
    org = session.get(Organisation, hold.organisation_id) if hold.organisation_id is not None else None
    return HoldPublic(
        id=hold.id,
        person_ref=hold.person_ref,
        organisation_id=hold.organisation_id,
        organisation_name=org.name if org else None,
        reason=hold.reason,
        starts_on=hold.starts_on,
        ends_on=hold.ends_on,
        created_by=hold.created_by,
        created_at=hold.created_at,
        released_at=hold.released_at,
        released_by=hold.released_by,
        active=is_active(hold, on),
    )
