"""`verify`: recompute the whole chain and name the first broken link.

Streams the log in batches of `batch_size` events (constant memory, whatever the length) and checks, for
every event: that its number follows the previous one (a gap is a deleted event), that its hash matches its
contents (a mismatch is an edited event) and that it points at the previous event's hash (a mismatch is a
re-hashed or re-ordered event); then that the head agrees with the end of the chain (a shorter chain is a
deleted newest event). Art. 5(2): the report is the organisation's evidence that its log is whole; Art. 33(5):
the log is part of the documentation of a breach, so its integrity must be demonstrable.

Given a `Database`, each batch runs in its own short transaction so writers are not held up for the whole
run; only the final step (the tail and the head) holds the head lock, so that events appended meanwhile are
either all in the comparison or all outside it. Given a `Session`, everything runs in that transaction.
`verify_and_record` is what the edges call: the check, and then the `audit.verify` event saying what it found.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, String, func, select, type_coerce
from sqlalchemy.orm import Session

from custos.actor import Actor
from custos.audit.actions import Action
from custos.audit.chain import GENESIS, PLAIN, canonical, format_at
from custos.audit.models import HEAD_ID, AuditEvent, AuditHead
from custos.db import Database

if TYPE_CHECKING:
    from custos.runtime import Runtime

Progress = Callable[[int, int], None]
"""Called after each batch with (events checked, events the head announced when the run began)."""

_EVENT = AuditEvent.__table__.c
# `at` as the driver returns it: a string on SQLite (turned into the canonical form without parsing, see
# `_at_text`), a datetime on PostgreSQL. `details_json` is already the hashed text.
_COLUMNS = (
    _EVENT.seq,
    _EVENT.prev_hash,
    _EVENT.hash,
    type_coerce(_EVENT.at, String),
    *(_EVENT[name] for name in PLAIN),
    _EVENT.details_json,
)
_UNREADABLE = (TypeError, ValueError, UnicodeError)


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    events_checked: int
    first_broken: int | None = None
    reason: str | None = None
    last_hash: str | None = None
    """The newest event's hash when intact: written down elsewhere, it anchors the chain up to that point."""


def verify(source: Database | Session, progress: Progress | None = None, *, batch_size: int = 10_000) -> VerifyReport:
    sessions = _sessions(source)
    with sessions() as session:
        announced = session.scalar(select(AuditHead.last_seq).where(AuditHead.id == HEAD_ID)) or 0
    checker = _Checker()
    while True:
        with sessions() as session:
            rows = _batch(session, checker.last_seq, batch_size)
        if not rows:
            break
        if not checker.feed(rows):
            return checker.report()
        if progress is not None:
            progress(checker.checked, announced)
        if rows[-1][0] >= announced:
            break
    with sessions() as session:
        # FOR SHARE waits for appenders in flight and holds new ones back until this transaction ends, so the
        # tail read here and the head agree.
        head = session.execute(
            select(AuditHead.last_seq, AuditHead.last_hash, AuditHead.count)
            .where(AuditHead.id == HEAD_ID)
            .with_for_update(read=True)
        ).one_or_none()
        while rows := _batch(session, checker.last_seq, batch_size):
            if not checker.feed(rows):
                return checker.report()
            if progress is not None:
                progress(checker.checked, max(announced, checker.checked))
    return checker.compare_head(head)


def verify_and_record(runtime: Runtime, actor: Actor, progress: Progress | None = None) -> VerifyReport:
    """`verify` the whole chain in short transactions, then record who ran the check and what it found.

    Art. 5(2): that the check ran, and its result, is itself part of the record; written after the walk, in a
    unit of its own, so that the walk never holds up writers and the event is not among the events checked.
    """
    report = verify(runtime.db, progress=progress)
    with runtime.work(actor) as work:
        work.audit(
            Action.AUDIT_VERIFY,
            outcome="ok" if report.ok else "failed",
            details={"events_checked": report.events_checked, "first_broken": report.first_broken},
        )
    return report


def _sessions(source: Database | Session) -> Callable[[], AbstractContextManager[Session]]:
    if isinstance(source, Database):
        return source.transaction

    @contextmanager
    def same() -> Iterator[Session]:
        yield source

    return same


def _batch(session: Session, after: int, size: int) -> Sequence[Sequence[Any]]:
    """The events after `after`, at most `size` numbers on. A bounded range rather than `LIMIT`, so that the
    primary key is used even when the planner has no statistics yet (e.g. right after a bulk load)."""
    rows = session.execute(_window(after, size)).all()
    if rows:
        return rows
    following = session.scalar(select(func.min(_EVENT.seq)).where(_EVENT.seq > after))
    return [] if following is None else session.execute(_window(following - 1, size)).all()


def _window(after: int, size: int) -> Select[Any]:
    return select(*_COLUMNS).where(_EVENT.seq > after, _EVENT.seq <= after + size).order_by(_EVENT.seq)


class _Checker:
    def __init__(self) -> None:
        self.last_seq = 0
        self.last_hash = GENESIS
        self.checked = 0
        self.first_broken: int | None = None
        self.reason: str | None = None

    def feed(self, rows: Sequence[Sequence[Any]]) -> bool:
        """Check the next events; False (with `first_broken` and `reason` set) at the first broken one."""
        last_seq, last_hash = self.last_seq, self.last_hash
        sha256 = hashlib.sha256
        try:
            for row in rows:
                seq = row[0]
                if seq != last_seq + 1:
                    return self._broken(last_seq + 1, _gap(seq, last_seq))
                try:
                    data = canonical(seq, row[1], _at_text(row[3]), row[4:15], row[15])
                except _UNREADABLE:
                    return self._broken(seq, f"event {seq}: contents cannot be read (edited?)")
                if sha256(data).hexdigest() != row[2]:
                    return self._broken(seq, f"event {seq}: hash does not match its contents (edited?)")
                if row[1] != last_hash:
                    return self._broken(
                        seq,
                        f"event {seq}: prev_hash does not match the hash of event {last_seq} "
                        f"(event {last_seq} re-hashed, or events re-ordered?)",
                    )
                last_seq, last_hash = seq, row[2]
                self.checked += 1
        finally:
            self.last_seq, self.last_hash = last_seq, last_hash
        return True

    def compare_head(self, head: Sequence[Any] | None) -> VerifyReport:
        n = self.last_seq
        if head is None:
            return self._report(None, "the audit head row is missing (deleted?)")
        last_seq, last_hash, count = head
        if last_seq > n:
            return self._report(n + 1, f"head says {last_seq} events, chain has {n} (newest deleted?)")
        if last_seq < n:
            return self._report(last_seq + 1, f"chain has {n} events, head says {last_seq} (head rolled back?)")
        if last_hash != self.last_hash:
            return self._report(n or None, f"head hash does not match event {n} (newest event replaced?)")
        if count != n:
            return self._report(None, f"head counts {count} events, chain has {n} (head edited?)")
        return VerifyReport(ok=True, events_checked=self.checked, last_hash=self.last_hash)

    def report(self) -> VerifyReport:
        return self._report(self.first_broken, self.reason)

    def _broken(self, seq: int, reason: str) -> bool:
        self.first_broken, self.reason = seq, reason
        return False

    def _report(self, first_broken: int | None, reason: str | None) -> VerifyReport:
        return VerifyReport(ok=False, events_checked=self.checked, first_broken=first_broken, reason=reason)


def _at_text(value: object) -> str:
    if isinstance(value, str):
        # SQLAlchemy keeps SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff', in UTC (custos.db.base.UTCDateTime).
        # Re-punctuating is enough; any other change to the text changes the hashed bytes and is reported.
        if len(value) == 26 and value[10] == " ":
            return f"{value[:10]}T{value[11:]}+00:00"
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"not a time: {value!r}")
    return format_at(value if value.tzinfo else value.replace(tzinfo=UTC))


def _gap(seq: int, last_seq: int) -> str:
    missing = last_seq + 1
    which = f"event {missing} is" if seq == missing + 1 else f"events {missing}–{seq - 1} are"
    after = f"follows {last_seq}" if last_seq else "is the first"
    return f"event {seq} {after}: {which} missing (deleted?)"
