"""The consent page: the share of cookie choices granting each category over the last 90 days, the most recent
records, and a link to the banner's demo page as a preview.

`consent.read` to look; the figures, and the `consent.view` event every look writes, come from
`custos.consent.overview`. The page shows the visitor id shortened; the full id is in the export for whoever
needs to prove one visitor's consent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from custos.access.principal import Principal
from custos.clock import today
from custos.consent.overview import Grouping, Period, overview
from custos.web.admin.charts import BarChart, Frame, bar_chart
from custos.web.admin.pages import ViewerDep, render_page
from custos.web.auth import Require, WorkDep
from custos.web.consent import current_terms
from custos.web.deps import RuntimeDep

router = APIRouter(prefix="/admin/consent", include_in_schema=False)

Reader = Annotated[Principal, Require("consent.read")]

DAYS = 90
RECENT = 50
SERIES_CLASSES = 4  # cat-0 … cat-3 in admin.css; more categories reuse them in turn (the table tells them apart)

# The chart's drawing area, in SVG user units (the SVG scales to its box through its viewBox).
_FRAME = Frame(width=640, height=260, left=48, right=8, top=24, bottom=40)


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
    work: WorkDep,
    by: Annotated[Grouping, Query(description="Rates per calendar week or per day.")] = "week",
) -> HTMLResponse:
    end = today(work.clock)
    seen = overview(work, end - timedelta(days=DAYS - 1), end, by, recent=RECENT)
    terms = current_terms(request, runtime)
    periods, recent = seen.periods, seen.recent
    categories = _categories(terms.categories, periods)
    record_categories = list(categories) + sorted({c for r in recent for c in r.choices} - set(categories))
    return render_page(
        request,
        "consent.html.j2",
        viewer=viewer,
        by=by,
        days=DAYS,
        today=end,
        periods=periods,
        totals=seen.totals,
        categories=categories,
        chart=_chart(periods, categories),
        recent=recent,
        record_categories=record_categories,
        policy_version=terms.policy_version,
    )
