"""The request case: taking it in, its deadline, its history, and every staff decision on it.

Every change of state goes through `move` (the edges are in `states`), and every step appends an event to the
case's history and an audit event in the same transaction (Art. 5(2)). The subject's contact details are
encrypted; the audit log and the events name the case by its ref and the person by their register ref only.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from custos.audit.actions import Action
from custos.clock import Clock
from custos.crypto import KeyRing
from custos.db.sealed import Lookup, seal
from custos.errors import Conflict, InvalidInput, NotFound, Problem
from custos.jurisdiction import Jurisdiction
from custos.policy import Policy
from custos.register.identities import IdentityError, normalise, phone_example
from custos.register.models import Identity, Person
from custos.requests import deadlines
from custos.requests.kinds import KINDS
from custos.requests.models import SubjectRequest, SubjectRequestEvent, SubjectRequestTask
from custos.requests.schemas import EventPublic, RequestCreate, RequestPublic, RequestSummary, TaskPublic
from custos.requests.states import CLOSED, check_move
from custos.systems.kept import KeepPlan
from custos.work import Work

EMAIL = "request.email"
PHONE = "request.phone"
ORGANISATION = "request.organisation"
DETAILS = "request.details"
CHANGES = "request.changes"
seal(
    SubjectRequest,
    {
        "email_enc": EMAIL,
        "phone_enc": PHONE,
        "organisation_enc": ORGANISATION,
        "details_enc": DETAILS,
        "changes_enc": CHANGES,
    },
    lookups=(Lookup("email_lookup", "email_enc", kind="email"),),
)
# Art. 12(3): at most two further months.
MAX_EXTENSION_MONTHS = 2
_REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: refs are read out over the phone


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def local_day(at: datetime, where: Jurisdiction) -> date:
    """The calendar day of an instant where the organisation is: it decides the day a request arrived on
    (Reg. 1182/71 Art. 3), and so its deadline."""
    return where.local_date(at)


def today_local(clock: Clock, where: Jurisdiction) -> date:
    return where.today(clock)


def _new_ref() -> str:
    return "DSR-" + "".join(secrets.choice(_REF_ALPHABET) for _ in range(8))


# -- intake ------------------------------------------------------------------------------------------------


def validate(policy: Policy, data: RequestCreate, *, channel: str, now: datetime) -> tuple[str, str | None]:
    """The normalised email and phone, or `InvalidInput` listing every problem at once."""
    problems: list[Problem] = []
    email = phone = None
    try:
        email = normalise("email", data.email)
    except IdentityError as exc:
        problems.append(Problem("email", str(exc), hint="write the address the organisation knows you by"))
    if data.phone:
        region = policy.jurisdiction.phone_region
        try:
            phone = normalise("phone", data.phone, region=region)
        except IdentityError as exc:
            problems.append(Problem("phone", str(exc), hint=f"write it as {phone_example(region)}, or leave it empty"))
    published = policy.jurisdiction.languages
    if data.language not in published:
        problems.append(
            Problem(
                "language",
                f"the organisation does not write in {data.language!r}",
                hint=f"one of: {', '.join(published)}",
            )
        )
    what = KINDS[data.kind].details
    if what is not None and not data.details:
        problems.append(Problem("details", f"a {data.kind.replace('_', ' ')} request needs details", hint=what))
    if data.processor_service is not None and data.processor_service not in {p.id for p in policy.processor}:
        known = ", ".join(p.id for p in policy.processor) or "none"
        problems.append(Problem("processor_service", "not a service of the policy", hint=f"one of: {known}"))
    if data.received_at is not None:
        if channel == "web":
            problems.append(Problem("received_at", "a web request arrives when it is sent; leave it out"))
        elif data.received_at.tzinfo is None:
            problems.append(Problem("received_at", "needs a time zone", hint="e.g. 2026-11-20T09:30:00+01:00"))
        elif data.received_at > now:
            problems.append(Problem("received_at", "is in the future", hint="the time the request really arrived"))
        elif data.received_at < now - timedelta(days=366):
            problems.append(Problem("received_at", "is more than a year ago", hint="check the date"))
    if problems or email is None:
        raise InvalidInput("the request cannot be taken in as written", problems)
    return email, phone


def create(work: Work, data: RequestCreate, *, channel: str) -> tuple[SubjectRequest, str]:
    """Take a request in (state `received`); returns the case and the status link's secret (shown once)."""
    session = work.session
    now = work.clock.now()
    email, phone = validate(work.policy, data, channel=channel, now=now)
    received = (data.received_at or now).astimezone(UTC)
    secret = new_secret()
    keys = work.keys
    person_ref = _match_person(session, keys, email)
    req = SubjectRequest(
        ref=_unique_ref(session),
        status_token_hash=hash_secret(secret),
        kind=data.kind,
        channel=channel,
        language=data.language,
        email_enc=keys.encrypt(email, EMAIL),
        email_lookup=keys.blind_index("email", email),
        phone_enc=keys.encrypt(phone, PHONE) if phone else None,
        organisation_enc=keys.encrypt(data.organisation, ORGANISATION) if data.organisation else None,
        details_enc=keys.encrypt(data.details, DETAILS) if data.details else None,
        processor_service=data.processor_service,
        received_at=received,
        due_on=deadlines.due_date(received, where=work.policy.jurisdiction),
        pauses=[],
        state="received",
        person_ref=person_ref,
        outcome={},
        reminders_sent=[],
        created_at=now,
        updated_at=now,
    )
    session.add(req)
    session.flush()
    add_event(
        work,
        req,
        "received",
        to_state="received",
        details={"channel": channel, "kind": data.kind, "matched": person_ref is not None},
    )
    return req, secret


def _unique_ref(session: Session) -> str:
    while True:
        ref = _new_ref()
        if session.scalar(select(SubjectRequest.id).where(SubjectRequest.ref == ref)) is None:
            return ref


def _match_person(session: Session, keys: KeyRing, email: str) -> str | None:
    """The register person with this address, through the blind index (the register is never decrypted)."""
    return session.scalar(
        select(Person.ref)
        .join(Identity, Identity.person_id == Person.id)
        .where(Identity.kind == "email", Identity.lookup.in_(keys.blind_indexes("email", email)))
        .limit(1)
    )


def rematch(work: Work, req: SubjectRequest) -> None:
    """Match again when the case moves on: the person may have been added to the register since intake."""
    if req.person_ref is None:
        req.person_ref = _match_person(work.session, work.keys, contact_email(work.keys, req))


# -- reading -----------------------------------------------------------------------------------------------


def load(session: Session, ref: str, *, lock: bool = False, events: bool = False) -> SubjectRequest:
    """The case with its tasks (and its history when `events`; otherwise it is loaded only if read)."""
    options = [selectinload(SubjectRequest.tasks)]
    if events:
        options.append(selectinload(SubjectRequest.events))
    query = select(SubjectRequest).where(SubjectRequest.ref == ref).options(*options)
    if lock:
        query = query.with_for_update()
    req = session.scalar(query)
    if req is None:
        raise NotFound(f"no request {ref}")
    return req


def by_status_token(session: Session, secret: str) -> SubjectRequest:
    req = session.scalar(select(SubjectRequest).where(SubjectRequest.status_token_hash == hash_secret(secret)))
    if req is None:
        raise NotFound("no request has this link; check that the whole link was copied")
    return req


def contact_email(keys: KeyRing, req: SubjectRequest) -> str:
    return keys.decrypt(req.email_enc, EMAIL)


def details_of(keys: KeyRing, req: SubjectRequest) -> str | None:
    return keys.decrypt(req.details_enc, DETAILS) if req.details_enc else None


def current_due(req: SubjectRequest) -> date:
    return req.extended_due_on or req.due_on


def ready(req: SubjectRequest) -> bool:
    return req.state == "in_progress" and bool(req.tasks) and all(t.state == "done" for t in req.tasks)


def summary(req: SubjectRequest, today: date) -> RequestSummary:
    due = current_due(req)
    left = deadlines.days_left(due, today)
    return RequestSummary(
        ref=req.ref,
        kind=req.kind,
        channel=req.channel,
        state=req.state,
        language=req.language,
        received_at=req.received_at,
        due_on=due,
        days_left=left,
        overdue=req.state not in CLOSED and left < 0,
        extended=req.extended_due_on is not None,
        assignee_id=req.assignee_id,
        ready=ready(req),
    )


def to_public(keys: KeyRing, req: SubjectRequest, today: date) -> RequestPublic:
    return RequestPublic(
        **summary(req, today).model_dump(),
        email=contact_email(keys, req),
        phone=keys.decrypt(req.phone_enc, PHONE) if req.phone_enc else None,
        organisation=keys.decrypt(req.organisation_enc, ORGANISATION) if req.organisation_enc else None,
        details=details_of(keys, req),
        processor_service=req.processor_service,
        person_ref=req.person_ref,
        original_due_on=req.due_on,
        extension_reason=req.extension_reason,
        decision=req.decision,
        approved_at=req.approved_at,
        outcome=req.outcome,
        assessment=req.assessment,
        keep=KeepPlan.from_json(req.keep).summary(),
        tasks=[
            TaskPublic(
                target=t.target,
                action=t.action,
                state=t.state,
                attempts=t.attempts,
                error=t.error,
                result=t.result,
                updated_at=t.updated_at,
            )
            for t in req.tasks
        ],
        events=[
            EventPublic(
                at=e.at,
                actor=e.actor,
                kind=e.kind,
                from_state=e.from_state,
                to_state=e.to_state,
                note=e.note,
                details=dict(e.details or {}),
            )
            for e in req.events
        ],
    )


def view(work: Work, ref: str) -> tuple[SubjectRequest, RequestPublic]:
    """A staff member reads the case with its history: the reading is itself on the record (Art. 5(2))."""
    req = load(work.session, ref, events=True)
    add_event(work, req, "viewed")
    return req, to_public(work.keys, req, today_local(work.clock, work.policy.jurisdiction))


def list_requests(
    work: Work,
    *,
    state: str | None = None,
    kind: str | None = None,
    assignee_id: int | None = None,
    overdue: bool = False,
    open_only: bool = False,
) -> list[RequestSummary]:
    """Sorted by the deadline in force, the most pressing first; closed ones after the open ones."""
    today = today_local(work.clock, work.policy.jurisdiction)
    query = select(SubjectRequest).options(selectinload(SubjectRequest.tasks))
    if state:
        query = query.where(SubjectRequest.state == state)
    if kind:
        query = query.where(SubjectRequest.kind == kind)
    if assignee_id is not None:
        query = query.where(SubjectRequest.assignee_id == assignee_id)
    if open_only or overdue:
        query = query.where(SubjectRequest.state.not_in(CLOSED))
    rows = [summary(r, today) for r in work.session.scalars(query)]
    if overdue:
        rows = [r for r in rows if r.overdue]
    return sorted(rows, key=lambda r: (r.state in CLOSED, r.due_on, r.ref))


# -- history and state -------------------------------------------------------------------------------------


def add_event(
    work: Work,
    req: SubjectRequest,
    kind: str,
    *,
    note: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    now = work.clock.now()
    event = SubjectRequestEvent(
        request_id=req.id,
        at=now,
        actor=work.actor.label[:100],
        kind=kind,
        from_state=from_state,
        to_state=to_state,
        note=note,
        details=details or {},
    )
    work.session.add(event)
    if "events" in req.__dict__:  # keep a loaded history current; never load it just to append
        req.events.append(event)
    req.updated_at = now
    audit_details: dict[str, Any] = {"kind": req.kind, **(details or {})}
    if from_state or to_state:
        audit_details.update({"from": from_state or "", "to": to_state or ""})
    work.audit(
        Action(f"request.{kind}"),
        subject=req.person_ref,
        target=f"request:{req.ref}",
        purpose=f"data subject request, GDPR Art. {KINDS[req.kind].article}",
        details=audit_details,
    )


def move(
    work: Work,
    req: SubjectRequest,
    target: str,
    *,
    event: str | None = None,
    note: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    check_move(req.ref, req.state, target)
    before = req.state
    req.state = target
    if target in CLOSED:
        req.closed_at = work.clock.now()
    add_event(work, req, event or target, note=note, from_state=before, to_state=target, details=details)


def pause_starts(req: SubjectRequest, at: datetime) -> None:
    """Waiting for the subject's answer to an identity check pauses the clock (EDPB GL 01/2022)."""
    if not req.pauses or req.pauses[-1][1]:
        req.pauses = [*req.pauses, [at.isoformat(), ""]]


def pause_ends(req: SubjectRequest, at: datetime, where: Jurisdiction) -> None:
    if req.pauses and not req.pauses[-1][1]:
        req.pauses = [*req.pauses[:-1], [req.pauses[-1][0], at.isoformat()]]
    req.due_on = deadlines.due_date(req.received_at, where=where, paused=paused_spans(req, where))


def paused_spans(req: SubjectRequest, where: Jurisdiction) -> tuple[deadlines.Pause, ...]:
    """The closed pauses as the deadline rules count them: [asked, answered) in local calendar days."""
    return tuple(
        (local_day(datetime.fromisoformat(start), where), local_day(datetime.fromisoformat(end), where))
        for start, end in req.pauses
        if start and end
    )


# -- staff decisions ---------------------------------------------------------------------------------------


def assign(work: Work, ref: str, staff_id: int | None) -> SubjectRequest:
    req = load(work.session, ref)
    req.assignee_id = staff_id
    add_event(work, req, "assigned", details={"assignee": staff_id or 0})
    return req


def verify_manually(work: Work, ref: str, note: str) -> SubjectRequest:
    """Staff confirm the identity another way (a reply from the address on file, a known ticket), with a note;
    the person is matched again, since they may have been added to the register since intake."""
    if not note.strip():
        raise InvalidInput("say how the identity was confirmed", [Problem("note", "required")])
    req = load(work.session, ref)
    if req.state == "verifying":
        pause_ends(req, work.clock.now(), work.policy.jurisdiction)
    move(work, req, "verified", event="verified_manually", note=note.strip())
    rematch(work, req)
    return req


def extend(work: Work, ref: str, *, months: int, reason: str) -> SubjectRequest:
    """Art. 12(3): at most two further months, with a reason, and only while the first deadline has not passed.

    The caller sends the extension notice right after; the extension is recorded as notified then."""
    clock, where = work.clock, work.policy.jurisdiction
    req = load(work.session, ref)
    problems = []
    if req.state in CLOSED:
        raise Conflict(f"request {ref} is {req.state}; a closed request cannot be extended")
    if req.extended_due_on is not None:
        raise Conflict(f"request {ref} was already extended to {req.extended_due_on}; Art. 12(3) allows it once")
    if not 1 <= months <= MAX_EXTENSION_MONTHS:
        problems.append(Problem("months", "must be 1 or 2", hint="Art. 12(3): at most two further months"))
    if len(reason.strip()) < 10:
        problems.append(Problem("reason", "say why more time is needed (complexity, number of requests)"))
    if problems:
        raise InvalidInput("the extension cannot be recorded", problems)
    if today_local(clock, where) > req.due_on:
        raise Conflict(f"request {ref} was due on {req.due_on}; an extension must be notified before the deadline")
    req.extended_due_on = deadlines.extension_due_date(
        req.received_at,
        where=where,
        months=months,
        reason=reason,
        notified_at=clock.now(),
        paused=paused_spans(req, where),
    )
    req.extension_reason = reason.strip()
    req.extension_notified_at = clock.now()
    add_event(
        work,
        req,
        "extended",
        note=req.extension_reason,
        details={"months": months, "due_on": req.extended_due_on.isoformat()},
    )
    return req


def refuse(work: Work, ref: str, reasons: str) -> SubjectRequest:
    """Art. 12(4): a refusal states its reasons; the letter adds the right to complain and to go to court."""
    if len(reasons.strip()) < 10:
        raise InvalidInput("state the reasons for the refusal", [Problem("reasons", "required (Art. 12(4))")])
    req = load(work.session, ref)
    req.decision = reasons.strip()
    move(work, req, "refused", note=req.decision)
    return req


def withdraw(work: Work, ref: str, note: str | None = None) -> SubjectRequest:
    req = load(work.session, ref)
    move(work, req, "withdrawn", note=note)
    return req


def approve(work: Work, ref: str, note: str) -> SubjectRequest:
    """Staff review of a rectification (the change is right) or an objection (no compelling grounds override it)."""
    req = load(work.session, ref)
    if not KINDS[req.kind].approval:
        raise Conflict(f"request {ref} is a {req.kind} request; only rectification and objection need approval")
    if req.state not in ("verified", "received", "verifying"):
        raise Conflict(f"request {ref} is {req.state}; approve it before it is in progress")
    if not note.strip():
        raise InvalidInput("document the decision", [Problem("note", "required")])
    req.approved_at = work.clock.now()
    req.approved_by = work.actor.label
    req.decision = note.strip()
    add_event(work, req, "approved", note=req.decision)
    return req


def record_customer_informed(work: Work, ref: str, note: str) -> SubjectRequest:
    """Art. 28(3)(e): as processor, the customer (the controller) is told of the request it must answer."""
    req = load(work.session, ref)
    if req.processor_service is None:
        raise Conflict(f"request {ref} is not about a processor service")
    add_event(work, req, "customer_informed", note=note.strip() or None)
    return req


def task_rows(req: SubjectRequest) -> list[SubjectRequestTask]:
    return list(req.tasks)


# -- live-data check ---------------------------------------------------------------------------------------


def misdated(session: Session, where: Jurisdiction) -> list[tuple[str, date, date]]:
    """Open requests whose stored due date is not the one their receipt, their pauses and the organisation's
    calendar give (Art. 12(3), Reg. 1182/71 Art. 3): (ref, stored, expected). Empty when every deadline holds;
    a policy whose zone or holidays changed after requests were taken in shows here."""
    found = []
    for req in session.scalars(select(SubjectRequest).where(SubjectRequest.state.not_in(CLOSED))):
        expected = deadlines.due_date(req.received_at, where=where, paused=paused_spans(req, where))
        if req.due_on != expected:
            found.append((req.ref, req.due_on, expected))
    return sorted(found)
