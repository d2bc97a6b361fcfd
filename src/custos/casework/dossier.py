"""One person as the admin's person page shows them: what the register holds, and everything around it.

Read-only. The due dates are the retention engine's own decision (`retention.verdict.judge_person` over the
facts `retention.loader` reads, holds included), so the page never says a date the sweep would not act on:
each relationship falls due on the day its activity's rule says, counted from one of its facts, and the person
is erased once every relationship is due (Art. 5(1)(e)). Around it: the legal holds that cover them (on the
person, or on an organisation they are related through), their requests, the mailings they were in, and — for
a viewer who may read the audit log — the events about them, newest first.

`read_dossier` and `look_up_dossier` are the page's reads of a person, audited as `person.read` in the unit
they read in (Art. 5(2)); `dossier` itself is the unaudited building block.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.access.models import Staff
from custos.audit import AuditEvent
from custos.audit.actions import Action
from custos.clock import today
from custos.mailings.models import Mailing, MailingDelivery
from custos.register.identities import IdentityKind
from custos.register.models import Person, Relationship
from custos.register.people import find_person, get_person
from custos.register.schemas import PersonPublic, RelationshipPublic
from custos.requests.models import SubjectRequest
from custos.retention.holds import list_holds
from custos.retention.loader import load_people
from custos.retention.models import LegalHold
from custos.retention.rules import CompiledPolicy
from custos.retention.schemas import HoldPublic
from custos.retention.verdict import PersonVerdict, RelationshipVerdict, judge_person
from custos.work import Work

EVENTS_SHOWN = 50


@dataclass(frozen=True)
class Due:
    """When one relationship (or the person) falls due, and why: the rule, and the fact it counts from."""

    on: date | None  # None: no end yet (an open relationship, a customer still a customer)
    rule: str  # the policy's own words for the rule
    anchor: str  # the fact counted from (`last_interaction`, `organisation.customer_until`, …)
    anchor_date: date | None
    held: bool  # a legal hold keeps it although due


@dataclass(frozen=True)
class RelationshipLine:
    rel: RelationshipPublic
    category_title: str
    activity_title: str
    due: Due


@dataclass(frozen=True)
class RequestLine:
    ref: str
    kind: str
    state: str
    received_at: datetime
    due_on: date


@dataclass(frozen=True)
class MailingLine:
    mailing_id: int
    subject: str
    status: str
    sent_at: datetime | None


@dataclass(frozen=True)
class EventLine:
    seq: int
    at: datetime
    action: str
    actor: str  # a staff member's name, or the actor's label (`system:retention`, `token:3`)
    outcome: str
    reference: str | None
    fields: tuple[str, ...]  # the field names a change names (never values)


@dataclass(frozen=True)
class Dossier:
    person: PersonPublic
    on: date
    relationships: list[RelationshipLine]
    due: Due  # the person's: the last of their relationships to fall due (None while one has no end)
    erase_now: bool  # every relationship is due today and nothing holds them: the next sweep erases them
    holds: list[HoldPublic]
    requests: list[RequestLine]
    mailings: list[MailingLine]
    events: list[EventLine] | None  # None: the viewer may not read the audit log


def verdict_of(work: Work, ref: str, on: date) -> PersonVerdict | None:
    """The retention engine's decision for this one person on `on` (None when they are not in the register)."""
    person_id = work.session.scalar(select(Person.id).where(Person.ref == ref))
    if person_id is None:
        return None
    facts = load_people(work.session, [person_id], on).get(person_id)
    return judge_person(CompiledPolicy.of(work.policy), facts, on) if facts is not None else None


def due_of(relationship: RelationshipVerdict) -> Due:
    return Due(relationship.due_on, relationship.rule, relationship.anchor, relationship.anchor_date, relationship.held)


def person_due(verdict: PersonVerdict | None) -> Due:
    """The person is erased when their last relationship falls due: the latest due date, or none while any
    relationship has no end yet (never early). No relationship at all: due at once (nothing to keep them for)."""
    if verdict is None or not verdict.relationships:
        held = verdict is not None and verdict.held
        return Due(None, "", "", None, held)
    undated = [r for r in verdict.relationships if r.due_on is None]
    if undated:
        first = undated[0]
        return Due(None, first.rule, first.anchor, first.anchor_date, any(r.held for r in verdict.relationships))
    last = max(verdict.relationships, key=lambda r: (r.due_on or date.min, r.row.id))
    return Due(last.due_on, last.rule, last.anchor, last.anchor_date, any(r.held for r in verdict.relationships))


def dossier(work: Work, ref: str, *, with_events: bool, on: date | None = None) -> Dossier:
    session = work.session
    person = get_person(work, ref)  # NotFound for a ref not in the register
    on = on or today(work.clock)
    verdict = verdict_of(work, ref, on)
    by_id = {r.row.id: r for r in verdict.relationships} if verdict is not None else {}
    categories = {c.id: c.name for c in work.policy.subject_categories}
    activities = {a.id: a.name for a in work.policy.activities}
    lines = []
    for rel in person.relationships:
        found = by_id.get(rel.id)
        due = due_of(found) if found is not None else Due(None, "", "", None, False)
        lines.append(
            RelationshipLine(
                rel,
                categories.get(rel.subject_category, rel.subject_category),
                activities.get(rel.activity, rel.activity),
                due,
            )
        )
    return Dossier(
        person=person,
        on=on,
        relationships=lines,
        due=person_due(verdict),
        erase_now=verdict is not None and verdict.action == "erase",
        holds=holds_on(work, ref),
        requests=_requests(session, ref),
        mailings=_mailings(session, ref),
        events=events_about(work, ref) if with_events else None,
    )


def read_dossier(work: Work, ref: str, *, with_events: bool, via: str | None = None) -> Dossier:
    """The person's page, audited as one `person.read` (`via`: which page or form showed them); when it shows
    their audit trail, the event says how many events of it."""
    found = dossier(work, ref, with_events=with_events)
    details: dict[str, object] = {"via": via} if via else {}
    if found.events is not None:
        details["audit_trail"] = len(found.events)
    work.audit(Action.PERSON_READ, subject=ref, details=details or None)
    return found


def look_up_dossier(work: Work, kind: IdentityKind, value: str, *, with_events: bool) -> Dossier:
    """The page of the person an exact email or phone finds: a read that came through that identity, and (when
    it shows their audit trail) a read of the log."""
    ref = find_person(work, kind, value).ref
    found = dossier(work, ref, with_events=with_events)
    work.audit(Action.PERSON_READ, subject=ref, details={"via": kind})
    if found.events is not None:
        details = {"filters": ["subject"], "count": len(found.events), "via": "person page"}
        work.audit(Action.AUDIT_READ, subject=ref, details=details)
    return found


def holds_on(work: Work, ref: str) -> list[HoldPublic]:
    """Active holds on the person, or on an organisation one of their relationships goes through."""
    session = work.session
    organisations = set(
        session.scalars(
            select(Relationship.organisation_id)
            .join(Person, Person.id == Relationship.person_id)
            .where(Person.ref == ref, Relationship.organisation_id.is_not(None))
        )
    )
    return [
        h
        for h in list_holds(work)
        if h.person_ref == ref or (h.organisation_id is not None and h.organisation_id in organisations)
    ]


def _requests(session: Session, ref: str) -> list[RequestLine]:
    rows = session.execute(
        select(
            SubjectRequest.ref,
            SubjectRequest.kind,
            SubjectRequest.state,
            SubjectRequest.received_at,
            SubjectRequest.extended_due_on,
            SubjectRequest.due_on,
        )
        .where(SubjectRequest.person_ref == ref)
        .order_by(SubjectRequest.received_at.desc(), SubjectRequest.id.desc())
    )
    return [RequestLine(r, kind, state, at, extended or due) for r, kind, state, at, extended, due in rows]


def _mailings(session: Session, ref: str) -> list[MailingLine]:
    rows = session.execute(
        select(Mailing.id, Mailing.subject, MailingDelivery.status, MailingDelivery.sent_at)
        .join(MailingDelivery, MailingDelivery.mailing_id == Mailing.id)
        .join(Person, Person.id == MailingDelivery.person_id)
        .where(Person.ref == ref)
        .order_by(Mailing.id.desc())
    )
    return [MailingLine(i, subject, status, sent) for i, subject, status, sent in rows]


def events_about(work: Work, ref: str, limit: int = EVENTS_SHOWN) -> list[EventLine]:
    """The audit events naming this person, newest first; staff by name, changes by field name only."""
    session = work.session
    events = list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.subject == ref).order_by(AuditEvent.seq.desc()).limit(limit)
        )
    )
    staff_ids = {e.actor_id for e in events if e.actor_kind == "staff" and e.actor_id is not None}
    names = (
        dict(session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(staff_ids))).all()) if staff_ids else {}
    )
    lines = []
    for event in events:
        named = names.get(event.actor_id) if event.actor_kind == "staff" and event.actor_id is not None else None
        fields = event.details.get("fields")
        lines.append(
            EventLine(
                event.seq,
                event.at,
                event.action,
                str(named) if named else event.actor_label,
                event.outcome,
                event.reference,
                tuple(str(f) for f in fields) if isinstance(fields, list) else (),
            )
        )
    return lines


def hold_person_ref(work: Work, hold_id: int) -> str | None:
    """The person a hold is on (None: no such hold, or a hold on an organisation)."""
    return work.session.scalar(select(LegalHold.person_ref).where(LegalHold.id == hold_id))
