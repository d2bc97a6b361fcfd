"""Mailings: compose, then send to a selection one recipient at a time, resumably, each with an unsubscribe.

Marknadsföringslagen (2008:486) 19–20 §: every message names its sender and offers a working way to object;
RFC 8058 one-click `List-Unsubscribe`. An unsubscribe is an objection to direct marketing (GDPR Art. 21(2)–(3))
and goes straight onto the suppression list.

Sending is at most once per person: a delivery row is committed as `sending` (with the hash of its
unsubscribe token) before the message goes to the server and as `sent` after. A send stopped in between
leaves that one row `sending`; the next run marks it `unknown` instead of sending again, and carries on with
the rows still `pending`. Restrictions and objections made while a mailing is under way are honoured: each
row is checked again just before its message goes out.

Starting a mailing (`start`) fixes its recipients in the caller's transaction; the sending itself is the
durable `mailings-send` job (`send_started`), so a restart mid-send only delays it: the next run takes up every
mailing still `sending` where it stopped. `custos mailings send` drives the same `send` in the foreground.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.orm import Session

from custos.actor import Actor
from custos.audit.actions import Action
from custos.clock import today
from custos.crypto import KeyRing
from custos.db.exclusive import exclusive
from custos.errors import Conflict, InvalidInput, NotFound, Problem
from custos.mail import Mailer, MailError, Message
from custos.mailings import selection as selections
from custos.mailings.models import Mailing, MailingDelivery
from custos.policy import Policy
from custos.register.models import Identity, Person
from custos.register.people import IDENTITY
from custos.register.restriction import is_restricted
from custos.register.suppression import person_suppressed, suppress
from custos.work import Work

if TYPE_CHECKING:
    from custos.runtime import Runtime

Language = Literal["en", "sv"]
JOB_NAME = "mailings-send"
JOB_ACTOR = Actor.system(JOB_NAME)
BATCH = 200
STATUSES = ("pending", "sending", "sent", "failed", "skipped", "unknown")

_FOOTER = {
    "en": "Sent by {org} ({contact}). You receive this as a contact of {org}.\n"
    "To stop receiving mailings from {org}, open: {link}",
    "sv": "Skickat av {org} ({contact}). Du får detta som kontakt till {org}.\n"
    "För att sluta få utskick från {org}, öppna: {link}",
}


@dataclass(frozen=True)
class Progress:
    total: int
    done: dict[str, int]  # status → rows

    @property
    def finished(self) -> int:
        return self.total - self.done.get("pending", 0) - self.done.get("sending", 0)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def create(work: Work, selection_id: int, subject: str, body: str, language: Language = "en") -> Mailing:
    session = work.session
    selections.get(session, selection_id)
    problems = []
    if not subject.strip():
        problems.append(Problem("subject", "is empty"))
    if "\n" in subject or "\r" in subject:
        problems.append(Problem("subject", "must be one line"))
    if not body.strip():
        problems.append(Problem("body", "is empty"))
    if problems:
        raise InvalidInput("the mailing is not complete", problems)
    if selections.criteria_of(selections.get(session, selection_id)).use != "mailings":
        raise InvalidInput("this selection is not for mailings", [Problem("selection_id", "its use is not mailings")])
    mailing = Mailing(
        selection_id=selection_id,
        subject=subject.strip()[:300],
        body=body,
        language=language,
        status="draft",
        created_at=work.clock.now(),
        created_by=work.actor.label[:100],
    )
    session.add(mailing)
    session.flush()
    work.audit(Action.MAILING_CREATE, target=f"mailing:{mailing.id}")
    return mailing


def get(session: Session, mailing_id: int) -> Mailing:
    mailing = session.get(Mailing, mailing_id)
    if mailing is None:
        raise NotFound(f"No mailing {mailing_id}.")
    return mailing


def for_selection(session: Session, selection_id: int) -> list[Mailing]:
    return list(
        session.scalars(select(Mailing).where(Mailing.selection_id == selection_id).order_by(Mailing.id.desc()))
    )


def progress(session: Session, mailing_id: int) -> Progress:
    rows = session.execute(
        select(MailingDelivery.status, func.count())
        .where(MailingDelivery.mailing_id == mailing_id)
        .group_by(MailingDelivery.status)
    ).all()
    done = dict.fromkeys(STATUSES, 0) | {str(s): int(n) for s, n in rows}
    return Progress(total=sum(done.values()), done=done)


def start(work: Work, mailing_id: int) -> Progress:
    """Start sending: fix the recipients of a draft (one INSERT … SELECT); the `mailings-send` job sends, woken
    by the edge once this commits. Starting one already under way changes nothing (the wake resumes it)."""
    mailing = get(work.session, mailing_id)
    if mailing.status == "done":
        raise Conflict(f"mailing {mailing_id} has already been sent")
    if mailing.status == "draft":
        _fix_recipients(work, mailing)
    return progress(work.session, mailing.id)


def _resume(work: Work, mailing_id: int) -> Progress:
    """What a sender does first: fix the recipients of a draft, or make a stopped run's rows safe."""
    mailing = get(work.session, mailing_id)
    if mailing.status == "done":
        raise Conflict(f"mailing {mailing_id} has already been sent")
    if mailing.status == "draft":
        _fix_recipients(work, mailing)
    else:
        # Rows left `sending` by a stopped run may have reached the server: never send them again.
        work.session.execute(
            update(MailingDelivery)
            .where(MailingDelivery.mailing_id == mailing.id, MailingDelivery.status == "sending")
            .values(status="unknown", detail="the sender stopped while this message was being sent")
        )
    return progress(work.session, mailing.id)


def _fix_recipients(work: Work, mailing: Mailing) -> None:
    session, clock = work.session, work.clock
    criteria = selections.criteria_of(selections.get(session, mailing.selection_id))
    people = selections.members(work.policy, criteria, today(clock)).subquery()
    session.execute(
        insert(MailingDelivery).from_select(
            ["mailing_id", "person_id", "status"],
            select(literal(mailing.id), people.c.id, literal("pending")),
        )
    )
    mailing.status = "sending"
    mailing.started_at = clock.now()
    work.audit(
        Action.MAILING_START,
        target=f"mailing:{mailing.id}",
        details={"recipients": progress(session, mailing.id).total},
    )


def _address(session: Session, keys: KeyRing, person_id: int) -> str | None:
    value = session.scalar(
        select(Identity.value_enc)
        .where(Identity.person_id == person_id, Identity.kind == "email")
        .order_by(Identity.id)
        .limit(1)
    )
    return keys.decrypt(value, IDENTITY) if value is not None else None


def _message(policy: Policy, mailing: Mailing, to: str, link: str) -> Message:
    org = policy.organisation
    footer = _FOOTER["sv" if mailing.language == "sv" else "en"].format(
        org=org.name, contact=org.contacts.privacy, link=link
    )
    return Message(
        to=to,
        subject=mailing.subject,
        body=f"{mailing.body.rstrip()}\n\n-- \n{footer}\n",
        language=mailing.language,
        headers=(
            ("List-Unsubscribe", f"<{link}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ),
    )


def _claim(work: Work, delivery_id: int) -> tuple[str, str] | str | None:
    """Mark one pending row `sending` with a fresh token and return (address, token); or the row's new status
    when it must not be sent (`skipped`); or None when another sender already took it."""
    # FOR UPDATE: two senders of the same mailing (the job and `custos mailings send`) wait for each other
    # here, and the second then sees the row is no longer pending (SQLite's write transactions are serialised).
    session = work.session
    delivery = session.get(MailingDelivery, delivery_id, with_for_update=True)
    if delivery is None or delivery.status != "pending":
        return None
    if is_restricted(work, delivery.person_id):
        delivery.status, delivery.detail = "skipped", "restricted"
        return "skipped"
    if person_suppressed(work, delivery.person_id):
        delivery.status, delivery.detail = "skipped", "objected to direct marketing"
        return "skipped"
    address = _address(session, work.keys, delivery.person_id)
    if address is None:
        delivery.status, delivery.detail = "skipped", "no email address"
        return "skipped"
    token = secrets.token_urlsafe(32)
    delivery.token_hash = token_hash(token)
    delivery.status = "sending"
    return address, token


def send(
    runtime: Runtime,
    mailer: Mailer,
    actor: Actor,
    mailing_id: int,
    base_url: str,
    on_progress: Callable[[Progress], None] | None = None,
) -> Progress:
    """Send every pending message of the mailing; safe to run again after a crash or kill at any point.

    Each row is its own unit (claimed, then marked with the outcome), so a crash loses at most the one message
    in flight, and that one is marked `unknown` by the next run instead of being sent twice.
    """
    with runtime.work(actor) as work:
        state = _resume(work, mailing_id)
    done = dict(state.done)  # counted here as the rows move, not re-read from the table after every message
    if on_progress:
        on_progress(state)

    def moved(outcome: str) -> None:
        done["pending"] -= 1
        done[outcome] += 1
        if on_progress:
            on_progress(Progress(state.total, dict(done)))

    _send_pending(runtime, mailer, actor, mailing_id, base_url, None, moved)
    _finish_if_sent(runtime, actor, mailing_id, force=True)
    with runtime.work(actor) as work:
        return progress(work.session, mailing_id)


def _send_pending(
    runtime: Runtime,
    mailer: Mailer,
    actor: Actor,
    mailing_id: int,
    base_url: str,
    ids: tuple[int, int] | None,
    moved: Callable[[str], None] | None = None,
) -> None:
    """Send the mailing's pending rows (those with ids in [ids[0], ids[1]) only, when given), one unit each."""
    while True:
        with runtime.work(actor) as work:
            session = work.session
            query = select(MailingDelivery.id).where(
                MailingDelivery.mailing_id == mailing_id, MailingDelivery.status == "pending"
            )
            if ids is not None:
                query = query.where(MailingDelivery.id >= ids[0], MailingDelivery.id < ids[1])
            pending = list(session.scalars(query.order_by(MailingDelivery.id).limit(BATCH)))
            mailing = get(session, mailing_id)
            session.expunge(mailing)
        if not pending:
            return
        for delivery_id in pending:
            with runtime.work(actor) as work:
                claimed = _claim(work, delivery_id)
            if claimed is None:
                continue
            if isinstance(claimed, tuple):
                address, token = claimed
                link = f"{base_url.rstrip('/')}/unsubscribe/{token}"
                try:
                    mailer.send(_message(runtime.policy, mailing, address, link))
                    outcome, detail = "sent", None
                except MailError as exc:
                    outcome, detail = "failed", str(exc)[:200]
                with runtime.work(actor) as work:
                    work.session.execute(
                        update(MailingDelivery)
                        .where(MailingDelivery.id == delivery_id)
                        .values(status=outcome, detail=detail, sent_at=work.clock.now())
                    )
            else:
                outcome = claimed
            if moved is not None:
                moved(outcome)


def _finish_if_sent(runtime: Runtime, actor: Actor, mailing_id: int, *, force: bool = False) -> bool:
    """Mark the mailing done, with its `mailing.sent` event, once no row is pending or being sent; True when
    this call did. The mailing row's lock makes a second finisher (another slice's worker) find it done.
    `force`: the foreground `send`, which has already settled every row it found (rows it could not claim
    belong to a sender that stopped; `_resume` marked them)."""
    with runtime.work(actor) as work:
        session = work.session
        if not force:
            left = session.scalar(
                select(MailingDelivery.id)
                .where(MailingDelivery.mailing_id == mailing_id, MailingDelivery.status.in_(("pending", "sending")))
                .limit(1)
            )
            if left is not None:
                return False
        mailing = session.get(Mailing, mailing_id, with_for_update=True, populate_existing=True)
        if mailing is None or mailing.status == "done":
            return False
        final = progress(session, mailing_id)
        mailing.status = "done"
        mailing.finished_at = work.clock.now()
        work.audit(Action.MAILING_SENT, target=f"mailing:{mailing_id}", details=dict(final.done.items()))
        return True


# -- shared by workers: a mailing in slices ---------------------------------------------------------------

# A slice is the deliveries whose id // SLICE is the same: fixed by the ids, so every worker (and a later run
# after a crash) names the same slice the same way.
SLICE = 200


def slices_left(runtime: Runtime) -> list[tuple[int, int]]:
    """(mailing, slice) of every started mailing's rows still pending or being sent, oldest mailing first."""
    part = (MailingDelivery.id // SLICE).label("slice")
    with runtime.work(JOB_ACTOR) as work:
        rows = work.session.execute(
            select(MailingDelivery.mailing_id, part)
            .join(Mailing, Mailing.id == MailingDelivery.mailing_id)
            .where(Mailing.status == "sending", MailingDelivery.status.in_(("pending", "sending")))
            .group_by(MailingDelivery.mailing_id, part)
            .order_by(MailingDelivery.mailing_id, part)
        ).all()
    return [(int(m), int(p)) for m, p in rows]


def send_slice(runtime: Runtime, mailer: Mailer, mailing_id: int, slice_no: int, base_url: str) -> bool:
    """The task a mailing is split into: send one slice of it, unless another worker is sending that slice
    (then False). Rows of the slice left `sending` by a sender that stopped may have reached the server: they
    are marked `unknown`, never sent again. The slice whose rows are the last to settle closes the mailing."""
    ids = (slice_no * SLICE, (slice_no + 1) * SLICE)
    with exclusive(runtime.db.engine, f"mailing:{mailing_id}:{slice_no}") as mine:
        if not mine:
            return False
        with runtime.work(JOB_ACTOR) as work:
            if get(work.session, mailing_id).status != "sending":
                return True
            work.session.execute(
                update(MailingDelivery)
                .where(
                    MailingDelivery.mailing_id == mailing_id,
                    MailingDelivery.id >= ids[0],
                    MailingDelivery.id < ids[1],
                    MailingDelivery.status == "sending",
                )
                .values(status="unknown", detail="the sender stopped while this message was being sent")
            )
        _send_pending(runtime, mailer, JOB_ACTOR, mailing_id, base_url, ids)
    _finish_if_sent(runtime, JOB_ACTOR, mailing_id)
    return True


def send_started(
    runtime: Runtime, mailer: Mailer, base_url: str, defer: Callable[[int, int], None] | None = None
) -> dict[int, Progress]:
    """The `mailings-send` job: finish every started mailing, oldest first, including one started meanwhile.

    A mailing is `sending` from its start until its last row is settled, so a run killed half-way (a restart,
    an expired lease) leaves it `sending` and the next run takes it up where its rows say it stopped. With
    `defer`, each slice with rows left is handed on as a task (`defer(mailing, slice)`, see `send_slice`) that
    any worker may take; the progress returned is then as it stands once they are handed on.
    """
    if defer is not None:
        handed = slices_left(runtime)
        for started, slice_no in handed:
            defer(started, slice_no)
        with runtime.work(JOB_ACTOR) as work:
            return {m: progress(work.session, m) for m in sorted({m for m, _ in handed})}
    finished: dict[int, Progress] = {}
    while True:
        with runtime.work(JOB_ACTOR) as work:
            mailing_id = work.session.scalar(
                select(Mailing.id)
                .where(Mailing.status == "sending", Mailing.id.not_in(sorted(finished)))
                .order_by(Mailing.id)
                .limit(1)
            )
        if mailing_id is None:
            return finished
        finished[mailing_id] = send(runtime, mailer, JOB_ACTOR, mailing_id, base_url)


# -- unsubscribing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unsubscribed:
    mailing_id: int
    organisation: str


def find_token(session: Session, token: str) -> MailingDelivery:
    delivery = session.scalar(select(MailingDelivery).where(MailingDelivery.token_hash == token_hash(token)))
    if delivery is None:
        raise NotFound("This unsubscribe link is not known; it may be mistyped, or the person was already erased.")
    return delivery


def unsubscribe(work: Work, token: str) -> Unsubscribed:
    """The recipient objects to direct marketing: every email address of theirs goes on the suppression list."""
    session = work.session
    delivery = find_token(session, token)
    emails = session.scalars(
        select(Identity.value_enc).where(Identity.person_id == delivery.person_id, Identity.kind == "email")
    ).all()
    ref = session.scalar(select(Person.ref).where(Person.id == delivery.person_id))
    for value in emails:
        suppress(
            work,
            email=work.keys.decrypt(value, IDENTITY),
            source="unsubscribe",
            reference=f"mailing:{delivery.mailing_id}",
        )
    if not emails:
        work.audit(Action.SUPPRESSION_ADD, subject=ref, details={"kind": "none"})
    return Unsubscribed(delivery.mailing_id, work.policy.organisation.name)
