"""Legal holds: placing, releasing and listing them; each change is audited in the same transaction.

Art. 17(3)(e): data needed for the establishment, exercise or defence of legal claims may be kept beyond its
retention period. A hold says so for one person, or for everyone related to us through one organisation,
with a reason and a period; the sweep re-checks holds when it erases, so a hold placed mid-sweep still counts,
and erase instructions already sent out for the people it covers keep what they would erase (placing a hold
is `custos.casework.holds.add_hold`, above the requests and systems whose instructions it changes).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.audit.actions import Action
from custos.clock import today
from custos.errors import Conflict, NotFound
from custos.register.models import Organisation
from custos.retention.models import LegalHold
from custos.retention.schemas import HoldPublic
from custos.work import Work


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
    return hold_public(session, hold, today(clock))


def list_holds(work: Work, *, include_inactive: bool = False) -> list[HoldPublic]:
    session, on = work.session, today(work.clock)
    holds = [hold_public(session, h, on) for h in session.scalars(select(LegalHold).order_by(LegalHold.id))]
    return holds if include_inactive else [h for h in holds if h.active]


def is_active(hold: LegalHold, on: date) -> bool:
    """The same rule as `loader.active_hold_filter`: first day through last day, until released."""
    return hold.released_at is None and hold.starts_on <= on and (hold.ends_on is None or hold.ends_on >= on)


def hold_public(session: Session, hold: LegalHold, on: date) -> HoldPublic:
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
