"""`export`: the events of a date range, oldest first, as plain dicts ready for JSON lines.

Each dict holds every hashed field in its hashed form plus `seq`, `hash` (and `prev_hash` for events from
before sealed blocks), so an auditor or the supervisory authority can re-check each event on their own
(`chain.exported_hash`, or any SHA-256 and JSON library), rebuild a sealed block's Merkle root from the hashes
of its events and compare it with the signed head a witness holds (`custos audit heads`; RFC 6962), or check a
single event with its inclusion proof (`custos audit prove`) (Art. 5(2) accountability, Art. 33(5)).
`export_lines` is what the edges call: the range as JSON lines, and then the `audit.export` event.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from custos.actor import Actor
from custos.audit.actions import Action
from custos.audit.chain import PLAIN, format_at
from custos.audit.models import AuditEvent
from custos.errors import InvalidInput

if TYPE_CHECKING:
    from custos.runtime import Runtime

# (events written, events in the range)
Progress = Callable[[int, int], None]

_EVENT = AuditEvent.__table__.c
_COLUMNS = (
    _EVENT.seq,
    _EVENT.at,
    *(_EVENT[name] for name in PLAIN),
    _EVENT.details_json,
    _EVENT.prev_hash,
    _EVENT.hash,
)
_NAMES = ("seq", "at", *PLAIN, "details", "prev_hash", "hash")


def export(session: Session, from_date: date, to_date: date, *, batch_size: int = 5_000) -> Iterator[dict[str, object]]:
    """Events whose time falls on `from_date` … `to_date` (both included, UTC days), in chain order.

    Streams in batches: memory stays flat however long the range. Consume it while `session` is open.
    """
    window = _window(from_date, to_date)
    low, high = session.execute(select(func.min(_EVENT.seq), func.max(_EVENT.seq)).where(window)).one()
    if low is None:
        return
    # Walk bounded ranges of seq (the primary key), whatever the planner knows about the table.
    for start in range(low, high + 1, batch_size):
        statement = (
            select(*_COLUMNS).where(window, _EVENT.seq >= start, _EVENT.seq < start + batch_size).order_by(_EVENT.seq)
        )
        for row in session.execute(statement):
            event = dict(zip(_NAMES, row, strict=True))
            event["at"] = format_at(row.at)
            event["details"] = json.loads(row.details_json)
            yield event


def export_lines(
    runtime: Runtime,
    actor: Actor,
    from_date: date,
    to_date: date,
    write: Callable[[str], object],
    progress: Progress | None = None,
) -> int:
    """Hand each event of the range to `write` as one JSON line, then record the export; returns how many.

    The log holds staff addresses and what they did, so handing it out is itself an audited act. The event is
    written in a unit of its own after the read, so a long export holds no write lock while it streams.
    """
    written = 0
    with runtime.work(actor) as work:
        total = count(work.session, from_date, to_date)
        for event in export(work.session, from_date, to_date):
            write(json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n")
            written += 1
            if progress is not None and written % 5_000 == 0:
                progress(written, total)
    with runtime.work(actor) as work:
        work.audit(
            Action.AUDIT_EXPORT,
            details={"from": from_date.isoformat(), "to": to_date.isoformat(), "events": written},
        )
    return written


def count(session: Session, from_date: date, to_date: date) -> int:
    """How many events `export` will yield (for a progress bar)."""
    return session.scalar(select(func.count()).select_from(AuditEvent).where(_window(from_date, to_date))) or 0


def _window(from_date: date, to_date: date) -> ColumnElement[bool]:
    if from_date > to_date:
        raise InvalidInput(f"the range starts ({from_date}) after it ends ({to_date})")
    start = datetime.combine(from_date, time(0), tzinfo=UTC)
    end = datetime.combine(to_date + timedelta(days=1), time(0), tzinfo=UTC)
    return (_EVENT.at >= start) & (_EVENT.at < end)
