"""What the audit log page shows of the sealing: the newest block, how far it reaches, what waits to be sealed,
and the events sealed per day (UTC) over the last days as a bar chart beside a table of the same numbers.

Read from `audit_head`, `audit_block` and `audit_event` in the page's own unit; nothing here is personal data
(block numbers, counts, times), so the look is not audited beyond the page's own `audit.read`. The sums per
day are made by the database (a busy installation seals a block every few seconds), grouped by the UTC day
as the consent page counts its days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from custos.audit.models import HEAD_ID, AuditBlock, AuditEvent, AuditHead
from custos.web.admin.charts import BarChart, Frame, bar_chart, scale_top

DAYS = 30

# The chart's drawing area, in SVG user units; 30 thin bars, a label every few days.
_FRAME = Frame(width=640, height=220, left=56, right=8, top=24, bottom=40)


@dataclass(frozen=True)
class Day:
    day: date
    events: int
    blocks: int


@dataclass(frozen=True)
class SealState:
    newest_block: int | None  # None: nothing sealed yet
    sealed_up_to: int  # the newest sealed event's number (0: none)
    sealed_at: datetime | None
    sealed_events: int
    waiting: int  # events appended after the newest block
    legacy_up_to: int  # events up to this number are block 0's (from before blocks): no Merkle proof
    days: list[Day]

    @property
    def chart(self) -> BarChart[Day]:
        top = scale_top(max([d.events for d in self.days] + [1]))
        return bar_chart(
            self.days, ("events",), lambda d, _: d.events, top_value=top, frame=_FRAME, classes=1, max_labels=6
        )

    @property
    def busiest(self) -> Day | None:
        return max(self.days, key=lambda d: d.events) if any(d.events for d in self.days) else None

    @property
    def events_in_days(self) -> int:
        return sum(d.events for d in self.days)

    def sealed(self, seq: int) -> bool:
        """Whether an event has an inclusion proof: sealed in a block with a Merkle tree (not block 0)."""
        return self.legacy_up_to < seq <= self.sealed_up_to


def seal_state(session: Session, today: date, days: int = DAYS) -> SealState:
    head = session.execute(select(AuditHead.last_seq, AuditHead.count).where(AuditHead.id == HEAD_ID)).one_or_none()
    last_seq, count = (int(head[0]), int(head[1])) if head is not None else (0, 0)
    newest = session.execute(
        select(AuditBlock.block, AuditBlock.sealed_at).order_by(AuditBlock.block.desc()).limit(1)
    ).one_or_none()
    legacy = session.scalar(select(AuditBlock.last_seq).where(AuditBlock.block == 0))
    waiting = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.seq > last_seq))
    return SealState(
        newest_block=int(newest[0]) if newest is not None else None,
        sealed_up_to=last_seq,
        sealed_at=newest[1] if newest is not None else None,
        sealed_events=count,
        waiting=int(waiting or 0),
        legacy_up_to=int(legacy) if legacy is not None else 0,
        days=_per_day(session, today, days),
    )


def block_of(session: Session, seq: int) -> int | None:
    """The number of the block whose range holds event `seq`, if one does."""
    found = session.scalar(
        select(AuditBlock.block)
        .where(AuditBlock.first_seq <= seq, AuditBlock.last_seq >= seq)
        .order_by(AuditBlock.block)
        .limit(1)
    )
    return int(found) if found is not None else None


def _per_day(session: Session, today: date, days: int) -> list[Day]:
    first = today - timedelta(days=days - 1)
    day = _sealed_day(session)
    rows = session.execute(
        select(day, func.sum(AuditBlock.size), func.count())
        .where(AuditBlock.sealed_at >= datetime.combine(first, time(0), UTC))
        .group_by(day)
    ).all()
    found = {str(text)[:10]: (int(events or 0), int(blocks)) for text, events, blocks in rows}
    shown = [first + timedelta(days=n) for n in range(days)]
    return [Day(d, *found.get(d.isoformat(), (0, 0))) for d in shown]


def _sealed_day(session: Session) -> ColumnElement[str]:
    """The UTC day a block was sealed as YYYY-MM-DD text, made by the database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", AuditBlock.sealed_at), "YYYY-MM-DD")
    # SQLite keeps the UTC time as text ("2026-11-29 10:00:00.000000"): its day is its first ten characters.
    return func.substr(AuditBlock.sealed_at, 1, 10)
