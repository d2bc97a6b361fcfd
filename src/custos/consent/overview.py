"""The consent page's figures: cookie choices over a window, counted by kind and by category granted, and the
most recent records; reading them is audited as `consent.view`.

Records are pseudonymous personal data (a random visitor id, Art. 4(5)), so, like the proof export, every look
writes `consent.view` with how many records were shown.

The rate for a category in a period is the records granting it over all records in the period (consents,
refusals and withdrawals alike): what share of the choices made then allowed the category.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.audit.actions import Action
from custos.consent.models import ConsentRecord
from custos.work import Work

Grouping = Literal["week", "day"]

KINDS = ("consent", "refusal", "withdrawal")


@dataclass
class Period:
    """Records made on the days first…last (UTC), counted by kind and by category granted."""

    first: date
    last: date
    kinds: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    granted: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.kinds.values())

    def rate(self, category: str) -> float | None:
        """Percent of the period's records granting `category`; None without records (no choice, no rate)."""
        return 100 * self.granted.get(category, 0) / self.total if self.total else None


@dataclass(frozen=True)
class Overview:
    periods: list[Period]
    totals: Period  # every period's counts added up
    recent: list[ConsentRecord]  # newest first


def periods(start: date, end: date, by: Grouping) -> list[Period]:
    """Days start…end split by day, or by calendar week (Monday first; the first and last may be partial)."""
    found = []
    first = start
    while first <= end:
        last = first if by == "day" else min(first + timedelta(days=6 - first.weekday()), end)
        found.append(Period(first, last))
        first = last + timedelta(days=1)
    return found


def overview(work: Work, start: date, end: date, by: Grouping, *, recent: int) -> Overview:
    """The days start…end (UTC) counted per period, and the `recent` newest records; audited as `consent.view`."""
    counted = periods(start, end, by)
    _count(work.session, counted)
    newest = list(work.session.scalars(select(ConsentRecord).order_by(ConsentRecord.seq.desc()).limit(recent)))
    work.audit(
        Action.CONSENT_VIEW,
        details={"from": counted[0].first.isoformat(), "to": end.isoformat(), "records": len(newest)},
    )
    totals = Period(counted[0].first, end)
    for period in counted:
        for kind, n in period.kinds.items():
            totals.kinds[kind] = totals.kinds.get(kind, 0) + n
        for category, n in period.granted.items():
            totals.granted[category] = totals.granted.get(category, 0) + n
    return Overview(counted, totals, newest)


def _count(session: Session, periods: list[Period]) -> None:
    """One pass over the window's records (read in batches), each counted in its period."""
    since = datetime.combine(periods[0].first, time(), UTC)
    until = datetime.combine(periods[-1].last + timedelta(days=1), time(), UTC)
    index = {p.first + timedelta(days=n): p for p in periods for n in range((p.last - p.first).days + 1)}
    query = (
        select(ConsentRecord.at, ConsentRecord.kind, ConsentRecord.choices)
        .where(ConsentRecord.at >= since, ConsentRecord.at < until)
        .execution_options(yield_per=5000)
    )
    for at, kind, choices in session.execute(query):
        period = index[at.astimezone(UTC).date()]
        period.kinds[kind] = period.kinds.get(kind, 0) + 1
        for category, given in choices.items():
            if given:
                period.granted[category] = period.granted.get(category, 0) + 1
