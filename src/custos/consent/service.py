"""Recording cookie choices and answering "what did this visitor choose, and must we ask again?".

Called by the public consent endpoints and the admin export alike; no HTTP here. Records are only ever added
(Art. 7(1) proof; a withdrawal is a new record, not an edit of the consent it withdraws, Art. 7(3)). Session
tier: each takes the caller's `Work`; visitors act as `VISITOR`, a number in a cookie and never a person.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from custos.actor import Actor
from custos.audit.actions import Action
from custos.clock import Clock
from custos.consent.models import ConsentRecord
from custos.consent.terms import MAX_VALIDITY, ConsentTerms
from custos.errors import InvalidInput, Problem
from custos.work import Work

_VISITOR_ID = re.compile(r"[0-9a-f]{32}")
MAX_EXPORT = 100_000

# Who acts when a visitor chooses or looks up their own records: nothing about them is known but the cookie's id.
VISITOR = Actor(kind="subject", id=None, label="subject:consent")


class Method(StrEnum):
    BANNER = "banner"  # Accept all / Reject all on the first layer
    SETTINGS = "settings"  # per-category toggles
    GPC = "gpc"  # the browser's Global Privacy Control signal, recorded as a refusal


class Kind(StrEnum):
    CONSENT = "consent"
    REFUSAL = "refusal"
    WITHDRAWAL = "withdrawal"


class AskReason(StrEnum):
    FIRST_VISIT = "first_visit"
    EXPIRED = "expired"
    POLICY_CHANGED = "policy_changed"
    INVENTORY_CHANGED = "inventory_changed"


@dataclass(frozen=True)
class Choice:
    choices: Mapping[str, bool]
    method: Method
    gpc: bool = False
    ua_family: str | None = None


@dataclass(frozen=True)
class ConsentState:
    choices: dict[str, bool]  # what may run now: all False while the visitor has to be asked
    ask: bool
    reason: AskReason | None
    kind: Kind | None = None
    decided_at: datetime | None = None
    expires_at: datetime | None = None
    decided_version: date | None = None
    gpc: bool = False
    categories: tuple[str, ...] = field(default_factory=tuple)


def is_visitor_id(value: str | None) -> bool:
    return value is not None and _VISITOR_ID.fullmatch(value) is not None


def _checked(terms: ConsentTerms, choice: Choice) -> dict[str, bool]:
    problems = [
        Problem(
            f"choices.{name}",
            f"{name!r} is not a category that needs consent",
            hint=f"use one of: {', '.join(terms.categories) or 'none'}"
            + ("; necessary cookies need no consent" if name == "necessary" else ""),
        )
        for name in choice.choices
        if name not in terms.categories
    ]
    if choice.method is Method.GPC and any(choice.choices.values()):
        # GPC is a refusal by automated means; only the visitor's own act can opt in (GDPR Art. 4(11), 21(5)).
        problems.append(Problem("method", "a GPC record refuses every category", hint="use method settings"))
    if problems:
        raise InvalidInput("the cookie choice is not valid", problems)
    # A category not mentioned is not consented to: silence is not consent (Planet49 C-673/17).
    return {name: bool(choice.choices.get(name, False)) for name in terms.categories}


def _newest_first(visitor_id: str) -> Select[ConsentRecord]:
    return select(ConsentRecord).where(ConsentRecord.visitor_id == visitor_id).order_by(ConsentRecord.seq.desc())


def latest(work: Work, visitor_id: str) -> ConsentRecord | None:
    # No choice lasts longer than MAX_VALIDITY (the terms cap it), so a visitor whose cookie still lives has a
    # record that recent: looked for first, it lets PostgreSQL read only the last months' partitions. The
    # whole history is searched only when there is none (an expired choice, or an id we never gave).
    recent = work.session.scalar(
        _newest_first(visitor_id).where(ConsentRecord.at > work.clock.now() - MAX_VALIDITY).limit(1)
    )
    return recent if recent is not None else work.session.scalar(_newest_first(visitor_id).limit(1))


@dataclass(frozen=True)
class _Given:
    """What a visitor's latest record still grants: enough to tell a withdrawal from a refusal."""

    choices: Mapping[str, bool]
    expires_at: datetime


def _kind(choices: Mapping[str, bool], previous: _Given | None, now: datetime) -> Kind:
    given_before = (
        {name for name, given in previous.choices.items() if given}
        if previous is not None and previous.expires_at > now
        else set()
    )
    given_now = {name for name, given in choices.items() if given}
    if given_before - given_now:
        return Kind.WITHDRAWAL  # Art. 7(3): taking back any part of a consent still in force
    return Kind.CONSENT if given_now else Kind.REFUSAL


@dataclass(frozen=True)
class Pending:
    """A checked choice with its time and expiry, not yet written. `visitor_id` is the id the visitor came
    with, whose latest record decides whether this one is a withdrawal; None for a new visitor."""

    visitor_id: str | None
    at: datetime
    policy_version: date
    policy_hash: str
    inventory_hash: str
    choices: dict[str, bool]
    method: str
    gpc: bool
    expires_at: datetime
    ua_family: str | None


@dataclass(frozen=True)
class Saved:
    """A written record, as the visitor and the export see it (the same names as `ConsentRecord`)."""

    id: str
    visitor_id: str
    at: datetime
    policy_version: date
    policy_hash: str
    inventory_hash: str
    choices: dict[str, bool]
    kind: str
    method: str
    gpc: bool
    expires_at: datetime
    ua_family: str | None


def prepare(clock: Clock, terms: ConsentTerms, visitor_id: str | None, choice: Choice) -> Pending:
    """Check the choice and give it its time and expiry, touching no database. The time is the moment of the
    choice, not of the commit that stores it; the record's id, and a new visitor's, come with the write."""
    choices = _checked(terms, choice)
    now = clock.now()
    return Pending(
        visitor_id=visitor_id if is_visitor_id(visitor_id) else None,
        at=now,
        policy_version=terms.policy_version,
        policy_hash=terms.policy_hash,
        inventory_hash=terms.inventory_hash,
        choices=choices,
        method=choice.method.value,
        gpc=choice.gpc,
        expires_at=now + terms.validity,
        ua_family=choice.ua_family,
    )


def _latest_given(session: Session, visitor_ids: set[str], since: datetime) -> dict[str, _Given]:
    """Each visitor's latest record made after `since`: an older one has expired by then (MAX_VALIDITY) and
    grants nothing, and leaving it out lets PostgreSQL skip the older months' partitions."""
    if not visitor_ids:
        return {}
    newest = (
        select(func.max(ConsentRecord.seq))
        .where(ConsentRecord.visitor_id.in_(visitor_ids), ConsentRecord.at > since)
        .group_by(ConsentRecord.visitor_id)
        .scalar_subquery()
    )
    rows = session.execute(
        select(ConsentRecord.visitor_id, ConsentRecord.choices, ConsentRecord.expires_at).where(
            ConsentRecord.seq.in_(newest), ConsentRecord.at > since
        )
    )
    return {visitor: _Given(choices, expires_at) for visitor, choices, expires_at in rows}


def _random_ids(count: int) -> list[str]:
    """128 random bits each, hex: record ids, and new visitors' ids (a visitor is a number in a cookie, never
    a person we could otherwise name)."""
    # One read of the system's randomness for a whole batch: each read lets go of the GIL, and getting it
    # back behind a busy thread is what made a per-record read cost a hundred times its own time.
    raw = secrets.token_hex(16 * count)
    return [raw[i : i + 32] for i in range(0, len(raw), 32)]


def _saved(pending: Sequence[Pending], given: dict[str, _Given]) -> list[Saved]:
    ids = iter(_random_ids(len(pending) + sum(p.visitor_id is None for p in pending)))
    saved = []
    for p in pending:
        visitor = p.visitor_id or next(ids)
        kind = _kind(p.choices, given.get(visitor), p.at)
        given[visitor] = _Given(p.choices, p.expires_at)
        fields = {name: value for name, value in vars(p).items() if name != "visitor_id"}
        saved.append(Saved(id=next(ids), visitor_id=visitor, kind=kind.value, **fields))
    return saved


def write_many(work: Work, pending: Sequence[Pending]) -> list[Saved]:
    """Append the records in the given order, in the caller's transaction, one INSERT for all of them.

    A visitor who appears twice is compared with their own earlier record of the same batch."""
    session = work.session
    returning = {p.visitor_id for p in pending if p.visitor_id}
    since = min((p.at for p in pending), default=work.clock.now()) - MAX_VALIDITY
    saved = _saved(pending, _latest_given(session, returning, since))
    if saved:
        table = ConsentRecord.metadata.tables[ConsentRecord.__tablename__]
        session.connection().execute(table.insert(), [vars(s) for s in saved])
    return saved


def record_choice(work: Work, terms: ConsentTerms, visitor_id: str | None, choice: Choice) -> ConsentRecord:
    """Append the visitor's choice in the caller's transaction; a visitor without a (valid) id gets a new one."""
    p = prepare(work.clock, terms, visitor_id, choice)
    previous = latest(work, p.visitor_id) if p.visitor_id else None
    given = {previous.visitor_id: _Given(previous.choices, previous.expires_at)} if previous is not None else {}
    record = ConsentRecord(**vars(_saved([p], given)[0]))
    work.session.add(record)
    work.session.flush()
    return record


def current_state(work: Work, terms: ConsentTerms, visitor_id: str | None, *, gpc: bool = False) -> ConsentState:
    """The choice in force for this visitor, or why the banner must ask (again)."""
    nothing = dict.fromkeys(terms.categories, False)
    record = latest(work, visitor_id) if visitor_id is not None and is_visitor_id(visitor_id) else None
    if record is None:
        return ConsentState(nothing, True, AskReason.FIRST_VISIT, gpc=gpc, categories=terms.categories)
    reason: AskReason | None = None
    if record.expires_at <= work.clock.now():
        reason = AskReason.EXPIRED  # at most 365 days, then asked again
    elif record.policy_version != terms.policy_version or record.policy_hash != terms.policy_hash:
        reason = AskReason.POLICY_CHANGED
    elif record.inventory_hash != terms.inventory_hash:
        reason = AskReason.INVENTORY_CHANGED
    # Until asked again nothing runs: the old consent did not cover what is asked now (Art. 4(11) "informed").
    choices = nothing if reason is not None else {name: bool(record.choices.get(name)) for name in terms.categories}
    return ConsentState(
        choices=choices,
        ask=reason is not None,
        reason=reason,
        kind=Kind(record.kind),
        decided_at=record.at,
        expires_at=record.expires_at,
        decided_version=record.policy_version,
        gpc=gpc,
        categories=terms.categories,
    )


def history(work: Work, visitor_id: str) -> list[ConsentRecord]:
    """A visitor's own records, oldest first (Art. 15 for the visitor; Art. 7(1) for the organisation)."""
    if not is_visitor_id(visitor_id):
        return []
    query = select(ConsentRecord).where(ConsentRecord.visitor_id == visitor_id).order_by(ConsentRecord.seq)
    return list(work.session.scalars(query))


def export(
    work: Work,
    *,
    visitor_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = MAX_EXPORT,
) -> list[ConsentRecord]:
    """Records for proof of consent: one visitor's, or all in [since, until), oldest first.

    Audited (`consent.export`): the records are pseudonymous personal data (Art. 4(5)), handed out as proof."""
    if visitor_id is not None and not is_visitor_id(visitor_id):
        raise InvalidInput(
            "not a visitor id", [Problem("visitor", "a visitor id is 32 lower-case hex digits", hint="see the cookie")]
        )
    for name, value in (("from", since), ("to", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput("a time without a zone", [Problem(name, "needs a zone", hint="e.g. 2026-01-01T00:00Z")])
    if since is not None and until is not None and until <= since:
        raise InvalidInput("empty time range", [Problem("to", "must be after `from`")])
    query = select(ConsentRecord)
    if visitor_id is not None:
        query = query.where(ConsentRecord.visitor_id == visitor_id)
    if since is not None:
        query = query.where(ConsentRecord.at >= since)
    if until is not None:
        query = query.where(ConsentRecord.at < until)
    found = list(work.session.scalars(query.order_by(ConsentRecord.seq).limit(min(limit, MAX_EXPORT))))
    work.audit(Action.CONSENT_EXPORT, details={"by_visitor": visitor_id is not None, "count": len(found)})
    return found
