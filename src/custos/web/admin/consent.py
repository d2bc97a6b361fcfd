"""The consent page: the share of cookie choices granting each category over the last 90 days, the most recent
records, and a link to the banner's demo page as a preview.

`consent.read` to look. Records are pseudonymous personal data (a random visitor id, Art. 4(5)), so, like the
proof export, every look writes `consent.view` with how many records were shown. The page shows the visitor id
shortened; the full id is in the export for whoever needs to prove one visitor's consent.

The rate for a category in a period is the records granting it over all records in the period (consents,
refusals and withdrawals alike): what share of the choices made then allowed the category.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from custos import audit
from custos.access.principal import Principal
from custos.clock import today
from custos.consent.models import ConsentRecord
from custos.web.admin.charts import BarChart, Frame, bar_chart
from custos.web.admin.pages import ViewerDep, render_page
from custos.web.auth import Require
from custos.web.consent import current_terms
from custos.web.deps import RuntimeDep

router = APIRouter(prefix="/admin/consent", include_in_schema=False)

Reader = Annotated[Principal, Require("consent.read")]
Grouping = Literal["week", "day"]

DAYS = 90
RECENT = 50
KINDS = ("consent", "refusal", "withdrawal")
SERIES_CLASSES = 4  # cat-0 … cat-3 in admin.css; more categories reuse them in turn (the table tells them apart)

# The chart's drawing area, in SVG user units (the SVG scales to its box through its viewBox).
_FRAME = Frame(width=640, height=260, left=48, right=8, top=24, bottom=40)


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


def _periods(start: date, end: date, by: Grouping) -> list[Period]:
    """Days start…end split by day, or by calendar week (Monday first; the first and last may be partial)."""
    periods = []
    first = start
    while first <= end:
        last = first if by == "day" else min(first + timedelta(days=6 - first.weekday()), end)
        periods.append(Period(first, last))
        first = last + timedelta(days=1)
    return periods


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


def _chart(periods: list[Period], categories: list[str]) -> BarChart[Period]:
    return bar_chart(
        periods,
        categories,
        lambda period, category: period.rate(category),
        top_value=100,
        frame=_FRAME,
        classes=SERIES_CLASSES,
    )


def _categories(terms_categories: tuple[str, ...], periods: list[Period]) -> list[str]:
    """The policy's categories in its order, then any only older records name (a category since removed)."""
    seen = {c for p in periods for c in p.granted}
    return list(terms_categories) + sorted(seen - set(terms_categories))


@router.get("", response_class=HTMLResponse)
def consent_page(
    request: Request,
    principal: Reader,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    by: Annotated[Grouping, Query(description="Rates per calendar week or per day.")] = "week",
) -> HTMLResponse:
    end = today(runtime.clock)
    periods = _periods(end - timedelta(days=DAYS - 1), end, by)
    terms = current_terms(request, runtime)
    with runtime.db.transaction() as session:
        _count(session, periods)
        recent = list(session.scalars(select(ConsentRecord).order_by(ConsentRecord.seq.desc()).limit(RECENT)))
        audit.record(
            session,
            runtime.clock,
            principal.actor,
            "consent.view",
            details={"from": periods[0].first.isoformat(), "to": end.isoformat(), "records": len(recent)},
        )
        session.flush()  # the audit event is written before the records are detached for rendering
        session.expunge_all()
    categories = _categories(terms.categories, periods)
    record_categories = list(categories) + sorted({c for r in recent for c in r.choices} - set(categories))
    totals = Period(periods[0].first, end)
    for period in periods:
        for kind, n in period.kinds.items():
            totals.kinds[kind] = totals.kinds.get(kind, 0) + n
        for category, n in period.granted.items():
            totals.granted[category] = totals.granted.get(category, 0) + n
    return render_page(
        request,
        "consent.html.j2",
        viewer=viewer,
        by=by,
        days=DAYS,
        today=end,
        periods=periods,
        totals=totals,
        categories=categories,
        chart=_chart(periods, categories),
        recent=recent,
        record_categories=record_categories,
        policy_version=terms.policy_version,
    )
