"""The retention pages: what falls due in the next 30/90/365 days, the plan, legal holds, recent sweeps, the
dry run before a sweep started by hand, and the tombstones each erasure leaves.

`retention.read` to look; `retention.run` to place or release a legal hold and to make the sweep due now,
after a dry run that lists who it would erase and a confirmation of how many (an erasure cannot be undone).
Like GET /api/v1/retention/plan, every look at the plan writes `retention.plan` in the same transaction: the
plan names people by ref with their relationships' dates, pseudonymous personal data (Art. 5(2)). The page
shows refs only, never a name or an address; the ref links to the person's own page, which is audited there.

The chart's numbers are the plan as of each horizon's day (the same walk as `custos retention plan --at`),
so a bar never says something the plan at that day would not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from custos.access.principal import Principal
from custos.casework import holds as placing
from custos.clock import today
from custos.errors import Conflict, InvalidInput, NotFound, Problem
from custos.jobs.registry import RETENTION_SWEEP, wake_after_commit
from custos.register.models import Organisation
from custos.retention import holds, tombstones
from custos.retention.history import recent_sweeps
from custos.retention.plan import iter_plan
from custos.retention.plan_names import names_shown
from custos.retention.preview import preview_sweep, read_plan
from custos.retention.rules import CompiledPolicy
from custos.retention.schemas import HoldCreate
from custos.retention.sweep import request_sweep
from custos.runtime import Runtime
from custos.web.admin.charts import BarChart, Frame, bar_chart, scale_top
from custos.web.admin.forms import FormError, text
from custos.web.admin.pages import Viewer, ViewerDep, render_page
from custos.web.auth import FormFields, Require, WorkDep
from custos.web.deps import RuntimeDep

router = APIRouter(prefix="/admin/retention", include_in_schema=False)

Reader = Annotated[Principal, Require("retention.read")]
Runner = Annotated[Principal, Require("retention.run")]

HORIZONS = (30, 90, 365)
PAGE_SIZE = 50
SWEEPS_SHOWN = 10
# Above this many organisations a select list stops being usable; the form then asks for the id instead.
ORGANISATION_CHOICES = 500
_DONE = {"hold_added", "hold_released", "sweep_requested"}

# The chart's drawing area, in SVG user units; two fixed-width bars per horizon.
_FRAME = Frame(width=640, height=260, left=48, right=0, top=24, bottom=40)
_BAR, _GAP = 56, 10


@dataclass(frozen=True)
class Horizon:
    """Due within `days` days: the plan as of `on`, counted in people and in relationships removed."""

    days: int
    on: date
    people: int
    relationships: int


def _chart(horizons: list[Horizon]) -> BarChart[Horizon]:
    top = scale_top(max([h.relationships for h in horizons] + [h.people for h in horizons] + [1]))
    return bar_chart(
        horizons,
        ("people", "relationships"),
        lambda horizon, kind: horizon.people if kind == "people" else horizon.relationships,
        top_value=top,
        frame=_FRAME,
        bar_width=_BAR,
        gap=_GAP,
        digits=0,
    )


def _horizons(runtime: Runtime, rules: CompiledPolicy, start: date) -> list[Horizon]:
    found = []
    with runtime.db.transaction() as session:
        for days in HORIZONS:
            on = start + timedelta(days=days)
            people = relationships = 0
            for person in iter_plan(session, rules, on):
                if person.verdict.action != "keep":  # "keep" here means due but held: nothing is removed
                    people += 1
                    relationships += len(person.verdict.removed)
            found.append(Horizon(days, on, people, relationships))
    return found


def _plan_page(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    viewer: Viewer,
    *,
    days: int = 0,
    offset: int = 0,
    error: FormError | None = None,
    form: dict[str, str] | None = None,
    done: str | None = None,
) -> HTMLResponse:
    start = today(runtime.clock)
    on = start + timedelta(days=days)
    rules = CompiledPolicy.of(runtime.policy)
    horizons = _horizons(runtime, rules, start)
    with runtime.work(principal.actor) as work:
        # As the API does for every plan it hands out; one event covers the table and the chart's horizons.
        plan = read_plan(
            work, on, limit=PAGE_SIZE, offset=offset, details={"chart": [h.on.isoformat() for h in horizons]}
        )
    lines = plan.items
    counts = {"erase": plan.people_to_erase, "trim": plan.people_to_trim, "keep": plan.people_held}
    with runtime.work(principal.actor) as work:
        session = work.session
        active_holds = holds.list_holds(work)
        shown = [line.person_ref for line in lines] + [h.person_ref for h in active_holds if h.person_ref]
        names = names_shown(work, shown, page="retention.plan")
        sweeps = recent_sweeps(work, SWEEPS_SHOWN)
        organisations = _organisation_choices(session) if viewer.can("retention.run") else None
    return render_page(
        request,
        "retention.html.j2",
        viewer=viewer,
        status=error.status if error else 200,
        today=start,
        horizons=horizons,
        chart=_chart(horizons),
        days=days,
        as_of=on,
        counts=counts,
        lines=lines,
        total=plan.total_lines,
        offset=offset,
        page_size=PAGE_SIZE,
        holds=active_holds,
        names=names,
        titles=_titles(runtime),
        sweeps=sweeps,
        organisations=organisations,
        error=error,
        form=form or {},
        done=done if done in _DONE else None,
    )


def _organisation_choices(session: Session) -> list[tuple[str, str]] | None:
    """(id, name) of every organisation for the hold form's list; None when there are too many to list."""
    if (session.scalar(select(func.count()).select_from(Organisation)) or 0) > ORGANISATION_CHOICES:
        return None
    rows = session.execute(select(Organisation.id, Organisation.name).order_by(Organisation.name, Organisation.id))
    return [(str(org_id), name) for org_id, name in rows]


@router.get("", response_class=HTMLResponse)
def retention_page(
    request: Request,
    principal: Reader,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    days: Annotated[int, Query(ge=0, le=3660, description="The plan as of this many days from today.")] = 0,
    offset: Annotated[int, Query(ge=0)] = 0,
    done: str | None = None,
) -> HTMLResponse:
    return _plan_page(request, runtime, principal, viewer, days=days, offset=offset, done=done)


def _hold_request(form: dict[str, str]) -> HoldCreate:
    """The form as the service's input; every problem is named by the form's own field."""
    problems: list[Problem] = []
    organisation = text(form, "organisation_id", limit=20)
    if organisation and not organisation.isdigit():
        problems.append(Problem("organisation_id", "is not an organisation's number", hint="e.g. 12"))
    ends_on = text(form, "ends_on", limit=10)
    try:
        until = date.fromisoformat(ends_on) if ends_on else None
    except ValueError:
        problems.append(Problem("ends_on", f"{ends_on!r} is not a date", hint="YYYY-MM-DD"))
    if problems:
        raise InvalidInput("the legal hold was not placed", problems)
    try:
        return HoldCreate(
            person_ref=text(form, "person_ref", limit=36).lower() or None,
            organisation_id=int(organisation) if organisation else None,
            reason=text(form, "reason", limit=500),
            ends_on=until,
        )
    except ValidationError as exc:
        found = []
        for item in exc.errors():
            where = str(item["loc"][-1]) if item["loc"] else "person_ref"  # the model's own check: the target
            found.append(Problem(where, str(item["msg"]).removeprefix("Value error, ")))
        raise InvalidInput("the legal hold was not placed", found) from None


@router.post("/holds", response_class=HTMLResponse)
def add_hold(request: Request, principal: Runner, viewer: ViewerDep, runtime: RuntimeDep, form: FormFields) -> Response:
    kept = {name: text(form, name, limit=500) for name in ("person_ref", "organisation_id", "reason", "ends_on")}
    try:
        data = _hold_request(form)
        with runtime.work(principal.actor) as work:
            placing.add_hold(work, data)  # audited there, in this transaction
    except (InvalidInput, NotFound) as exc:
        return _plan_page(request, runtime, principal, viewer, error=FormError.of(exc), form=kept)
    return RedirectResponse("/admin/retention?done=hold_added#holds", status_code=303)


@router.post("/holds/{hold_id}/release", response_class=HTMLResponse)
def release_hold(request: Request, hold_id: int, principal: Runner, viewer: ViewerDep, runtime: RuntimeDep) -> Response:
    try:
        with runtime.work(principal.actor) as work:
            holds.release_hold(work, hold_id)  # audited there
    except (NotFound, Conflict) as exc:
        return _plan_page(request, runtime, principal, viewer, error=FormError.of(exc))
    return RedirectResponse("/admin/retention?done=hold_released#holds", status_code=303)


@router.get("/sweep", response_class=HTMLResponse)
def sweep_preview_page(
    request: Request,
    principal: Runner,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:
    """The dry run before "Run the sweep now": who would be erased, with rule and due date, and a confirmation."""
    return _sweep_page(request, runtime, principal, viewer, offset=offset)


@router.post("/sweeps", response_class=HTMLResponse)
def wake_sweep(
    request: Request, principal: Runner, viewer: ViewerDep, runtime: RuntimeDep, form: FormFields
) -> Response:
    """As POST /api/v1/retention/sweeps, once the number of people the dry run showed is confirmed: the sweep
    is not run in the request; a worker's next tick runs it. A plan that changed since is shown again."""
    confirmed = text(form, "people", limit=9)
    with runtime.work(principal.actor) as work:
        preview = preview_sweep(work, limit=0)
    if not confirmed.isdigit() or int(confirmed) != preview.people:
        # Nothing is erased on a number that is not the plan's now: shown again, with what changed.
        refused = "changed" if confirmed.isdigit() else "unconfirmed"
        return _sweep_page(request, runtime, principal, viewer, refused=refused)
    with runtime.work(principal.actor) as work:
        request_sweep(work, confirmed_people=preview.people)
        wake_after_commit(work, runtime, RETENTION_SWEEP)
    return RedirectResponse("/admin/retention?done=sweep_requested#sweeps", status_code=303)


def _sweep_page(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    viewer: Viewer,
    *,
    offset: int = 0,
    refused: str | None = None,
) -> HTMLResponse:
    with runtime.work(principal.actor) as work:
        preview = preview_sweep(work, limit=PAGE_SIZE, offset=offset)
        refs = [line.person_ref for line in preview.lines]
        names = names_shown(work, refs, page="retention.sweep")
    return render_page(
        request,
        "retention_sweep.html.j2",
        viewer=viewer,
        status={"changed": 409, "unconfirmed": 422}.get(refused or "", 200),
        preview=preview,
        names=names,
        titles=_titles(runtime),
        offset=offset,
        page_size=PAGE_SIZE,
        refused=refused,
    )


def _titles(runtime: Runtime) -> dict[str, str]:
    """The policy's titles for the subject categories and activities a plan names."""
    policy = runtime.policy
    return {item.id: str(item.name) for group in (policy.subject_categories, policy.activities) for item in group}


@router.get("/tombstones", response_class=HTMLResponse)
def tombstones_page(
    request: Request,
    principal: Reader,
    viewer: ViewerDep,
    work: WorkDep,
    ref: Annotated[str | None, Query(max_length=36)] = None,
    sweep: Annotated[str | None, Query(max_length=12)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:
    """The proofs of erasure, newest first, by sweep or by person (ref); each look is audited."""
    # An empty filter box sends `sweep=`; only a number filters.
    sweep_id = int(sweep) if sweep and sweep.strip().isdigit() else None
    ref = (ref or "").strip().lower() or None
    page = tombstones.list_tombstones(work, sweep_id=sweep_id, subject_ref=ref, limit=PAGE_SIZE, offset=offset)
    return render_page(request, "tombstones.html.j2", viewer=viewer, page=page, ref=ref, sweep=sweep_id)


@router.get("/tombstones/{tombstone_id}", response_class=HTMLResponse)
def tombstone_page(
    request: Request, tombstone_id: int, principal: Reader, viewer: ViewerDep, work: WorkDep
) -> HTMLResponse:
    found = tombstones.get_tombstone(work, tombstone_id)
    return render_page(request, "tombstone.html.j2", viewer=viewer, t=found)
