"""The dashboard (admin home): for the data protection person, what needs attention, at a glance.

Each panel is shown only to a viewer whose grants open its area, and each links to its own page: requests by
days left (overdue in red), open breaches with their 72-hour clocks, retention past due and due within 30/90
days, consent rates, systems whose last erasure step failed, manual tasks nobody can do or open too long,
access grants about to end, the policy's promises that live data breaks, and the register's counts. Every
panel is a few aggregate queries (`custos.records.dashboard`), never a walk over the register (the promises
panel stops each check at its first finding), and no panel shows a person's data (those need `register.read`
and a page of their own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from custos.access.models import Staff
from custos.access.review import access_review
from custos.audit import AuditEvent, AuditHead
from custos.audit.models import HEAD_ID
from custos.invariants import INVARIANTS, Invariant, InvariantContext, examine
from custos.invariants.catalogue import wording
from custos.invariants.doctor import last_check
from custos.records import dashboard as panels
from custos.register.people import count_people
from custos.runtime import Runtime
from custos.web.admin.charts import BarChart, Frame, bar_chart, scale_top
from custos.web.admin.pages import Viewer, ViewerDep, language, render_page
from custos.web.auth import SignedIn, WorkDep
from custos.web.deps import RuntimeDep
from custos.work import Work

router = APIRouter(prefix="/admin", include_in_schema=False)

_NOTICES = {"password": "dashboard.password_changed"}
_SMALL = Frame(width=360, height=180, left=40, right=8, top=20, bottom=32)


@dataclass(frozen=True)
class PromisesPanel:
    """Which of the policy's promises live data breaks, by name only (the records are on /admin/doctor).

    The promises whose check walks the whole register are shown as of the last doctor run (`checked_at`); if none
    ran in the last `STALE_AFTER`, they are `unchecked` and the panel says so instead of guessing.
    """

    checked: int
    broken: tuple[Invariant, ...]
    checked_at: datetime | None = None
    unchecked: tuple[Invariant, ...] = ()


# The daily doctor job runs an hour after the sweep; two days covers one missed run without looking stale.
STALE_AFTER = timedelta(days=2)
# Up to this many people every check runs on each view of the dashboard (a few hundred ms at most); above it the
# register-wide checks are read from the last doctor run.
LIVE_UP_TO = 20_000


@dataclass(frozen=True)
class Panels:
    requests: panels.RequestsPanel | None = None
    requests_chart: BarChart[str] | None = None
    breaches: panels.BreachesPanel | None = None
    retention: panels.RetentionPanel | None = None
    consent: panels.ConsentPanel | None = None
    systems: panels.SystemsPanel | None = None
    tasks: panels.TasksPanel | None = None
    grants: panels.GrantsPanel | None = None
    promises: PromisesPanel | None = None
    # One field per further panel, filled in `_panels` under the permission of its own page, and one
    # `{% if p.<name> %}` block in dashboard.html.j2.

    @property
    def any(self) -> bool:
        return any(getattr(self, name) is not None for name in self.__dataclass_fields__)


def _staff_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Staff)) or 0)


def _audit_count(session: Session) -> int:
    """Events sealed (counted by the head) plus the few appended since the last block, without a count(*)."""
    head = session.get(AuditHead, HEAD_ID)
    sealed, after = (head.count, head.last_seq) if head is not None else (0, 0)
    waiting = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.seq > after)) or 0
    return int(sealed) + int(waiting)


def _counts(work: Work, viewer: Viewer) -> dict[str, int]:
    session = work.session
    counts: dict[str, int] = {}
    if viewer.can("register.read"):
        counts["people"] = count_people(work)
    if viewer.can("staff.manage"):
        counts["staff"] = _staff_count(session)
        counts["findings"] = sum(1 for row in access_review(work) if row.findings)
    if viewer.can("audit.read"):
        counts["audit"] = _audit_count(session)
    return counts


def _requests_chart(panel: panels.RequestsPanel) -> BarChart[str]:
    top = scale_top(max([*panel.buckets.values(), 1]))
    return bar_chart(
        list(panels.REQUEST_BUCKETS),
        ("requests",),
        lambda bucket, _: panel.buckets[bucket],
        top_value=top,
        frame=_SMALL,
        bar_width=44,
        digits=0,
    )


def _panels(work: Work, runtime: Runtime, viewer: Viewer) -> Panels:
    requests = panels.requests_panel(work) if viewer.can("requests.manage") else None
    return Panels(
        requests=requests,
        requests_chart=_requests_chart(requests) if requests is not None and requests.total else None,
        breaches=panels.breaches_panel(work) if viewer.can("incidents.read") else None,
        retention=panels.retention_panel(work) if viewer.can("retention.read") else None,
        consent=panels.consent_panel(work) if viewer.can("consent.read") else None,
        systems=panels.systems_panel(work) if viewer.can("systems.read") else None,
        tasks=panels.tasks_panel(work, runtime.settings.system_task_days) if viewer.can("systems.read") else None,
        grants=panels.grants_panel(work) if viewer.can("staff.manage") else None,
        promises=_promises(work, runtime) if viewer.can("doctor.read") else None,
    )


def _promises(work: Work, runtime: Runtime) -> PromisesPanel:
    # Each check runs with limit=0 (it stops at its first finding). On a register too large to walk per page view,
    # the register-wide ones are taken from the newest doctor run (daily, or the Promises page) instead.
    ctx = InvariantContext.of(runtime)
    if count_people(work) <= LIVE_UP_TO:
        result = examine(work, ctx, limit=0)
        return PromisesPanel(len(result.outcomes), tuple(o.invariant for o in result.broken))
    live = examine(work, ctx, only=[i.id for i in INVARIANTS if not i.walks_register], limit=0)
    walking = [i for i in INVARIANTS if i.walks_register]
    last = last_check(work, [i.id for i in walking], since=ctx.now - STALE_AFTER)
    broken = {o.invariant.id for o in live.broken} | ({i.id for i in last.broken} if last is not None else set())
    return PromisesPanel(
        checked=len(live.outcomes) + (len(walking) if last is not None else 0),
        broken=tuple(i for i in INVARIANTS if i.id in broken),  # in the catalogue's order
        checked_at=last.at if last is not None else None,
        unchecked=() if last is not None else tuple(walking),
    )


@router.get("", response_class=HTMLResponse)
def dashboard(
    request: Request,
    principal: SignedIn,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    work: WorkDep,
    done: str | None = None,
) -> HTMLResponse:
    counts = _counts(work, viewer)
    shown = _panels(work, runtime, viewer)
    return render_page(
        request,
        "dashboard.html.j2",
        viewer=viewer,
        counts=counts,
        panels=shown,
        now=runtime.clock.now(),
        notice=_NOTICES.get(done or ""),
        promise_words=wording(language(request, runtime.settings.language)),
    )
