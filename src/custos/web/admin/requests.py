"""The data subject requests pages: the queue by due date with a chart of days left, one request with its
tasks and history, the actions on it, and staff entry of a request that came by mail or ticket.

`requests.manage` for the queue and the actions; `requests.intake` for staff entry only (a support agent takes
a request in and sees nothing else: the page afterwards shows the new ref, not the queue).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from custos.access.models import Staff
from custos.access.principal import Principal
from custos.errors import Conflict, CustosError, InvalidInput, Problem
from custos.jurisdiction import Jurisdiction
from custos.requests import actions, answers, assessment, cases, intake
from custos.requests.driver import drive_request
from custos.requests.schemas import RequestSummary, request_from_form
from custos.requests.states import CLOSED, KINDS, STATES
from custos.retention.keep import GROUNDS
from custos.runtime import Runtime
from custos.web.admin.charts import BarChart, bar_chart, scale_top
from custos.web.admin.forms import FormError, text
from custos.web.admin.pages import Viewer, ViewerDep, render_page
from custos.web.auth import FormFields, Require
from custos.web.deps import RuntimeDep

router = APIRouter(prefix="/admin/requests", include_in_schema=False)

Manager = Annotated[Principal, Require("requests.manage")]
Intake = Annotated[Principal, Require("requests.intake")]
Assessor = Annotated[Principal, Require(assessment.PERMISSION)]

# Open requests by days left: the buckets of the chart (label key, lowest, highest days left).
BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    ("overdue", None, -1),
    ("week", 0, 7),
    ("fortnight", 8, 14),
    ("month", 15, 31),
    ("later", 32, None),
)
_ACTIONS = (
    "verify",
    "send_verification",
    "assign",
    "extend",
    "refuse",
    "withdraw",
    "approve",
    "drive",
    "retry",
    "complete",
    "customer_informed",
    "assess",
)


@dataclass(frozen=True)
class Bucket:
    key: str  # its label is requests.buckets.<key>
    count: int


def buckets(rows: list[RequestSummary]) -> list[Bucket]:
    """Open requests counted by days left to their deadline (the overdue ones first)."""
    found = []
    for key, low, high in BUCKETS:
        n = sum(
            1
            for r in rows
            if r.state not in CLOSED and (low is None or r.days_left >= low) and (high is None or r.days_left <= high)
        )
        found.append(Bucket(key, n))
    return found


def chart(counts: list[Bucket]) -> BarChart[Bucket]:
    """Drawn on the server with the admin's shared chart layout (no script needed to read it)."""
    top = scale_top(max([b.count for b in counts] + [1]))
    return bar_chart(counts, ["open"], lambda b, _s: b.count, top_value=top, bar_width=72, digits=0)


def _staff(runtime: Runtime) -> list[tuple[int, str]]:
    with runtime.db.transaction() as session:
        return [
            (s.id, s.name) for s in session.scalars(select(Staff).where(Staff.status == "active").order_by(Staff.name))
        ]


def _queue_page(
    request: Request,
    runtime: Runtime,
    viewer: Viewer,
    *,
    filters: dict[str, str],
    error: FormError | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    today = cases.today_local(runtime.clock, runtime.policy.jurisdiction)
    with runtime.db.transaction() as session:
        everything = cases.list_requests(session, today)
        rows = cases.list_requests(
            session,
            today,
            state=filters.get("state") or None,
            kind=filters.get("kind") or None,
            assignee_id=int(filters["assignee"]) if filters.get("assignee", "").isdigit() else None,
            overdue=filters.get("overdue") == "1",
        )
    staff = _staff(runtime)
    counted = buckets(everything)
    assessing = sum(1 for r in everything if r.state == "assessing")
    return render_page(
        request,
        "requests.html.j2",
        viewer=viewer,
        status=status,
        rows=rows,
        chart=chart(counted),
        buckets=counted,
        filters=filters,
        states=STATES,
        kinds=KINDS,
        staff=staff,
        names=dict(staff),
        today=today,
        error=error,
        form=form or {},
        can_manage=True,
        assessing=assessing,
    )


@router.get("", response_class=HTMLResponse)
def queue(
    request: Request,
    principal: Manager,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    state: str = "",
    kind: str = "",
    assignee: str = "",
    overdue: str = "",
) -> HTMLResponse:
    filters = {"state": state, "kind": kind, "assignee": assignee, "overdue": overdue}
    return _queue_page(request, runtime, viewer, filters=filters)


@router.get("/new", response_class=HTMLResponse)
def new_form(request: Request, principal: Intake, viewer: ViewerDep) -> HTMLResponse:
    return render_page(request, "requests_new.html.j2", viewer=viewer, kinds=KINDS, error=None, form={}, created=None)


def _received_at(value: str, where: Jurisdiction) -> datetime | None:
    """The arrival as staff type it in the browser (datetime-local): on the organisation's clock, as the page
    says, or with an offset; the day it arrived on is where its deadline counts from (Reg. 1182/71 Art. 3)."""
    return where.parse_time(value, location="received_at") if value else None


@router.post("/new", response_class=HTMLResponse)
def create(request: Request, principal: Intake, viewer: ViewerDep, runtime: RuntimeDep, form: FormFields) -> Response:
    names = ("kind", "email", "phone", "organisation", "details", "language", "received_at", "send_verification")
    kept = {name: text(form, name, limit=4000 if name == "details" else 320) for name in names}
    try:
        if kept["kind"] not in KINDS:
            raise InvalidInput("choose the kind of request", [Problem("kind", "choose one")])
        data = request_from_form(
            {
                "kind": kept["kind"],
                "email": kept["email"],
                "phone": kept["phone"] or None,
                "organisation": kept["organisation"] or None,
                "details": kept["details"] or None,
                "language": "sv" if kept["language"] == "sv" else "en",
                "received_at": _received_at(kept["received_at"], runtime.policy.jurisdiction),
            }
        )
        result = intake.submit(runtime, principal.actor, data, channel="staff")
        if kept["send_verification"] and result.state == "received":
            intake.send_verification(runtime, result.ref, principal.actor)
    except InvalidInput as exc:
        return render_page(
            request,
            "requests_new.html.j2",
            viewer=viewer,
            status=422,
            kinds=KINDS,
            error=FormError.of(exc),
            form=kept,
            created=None,
        )
    if viewer.can("requests.manage"):
        return RedirectResponse(f"/admin/requests/{result.ref}?done=created", status_code=303)
    return render_page(request, "requests_new.html.j2", viewer=viewer, kinds=KINDS, error=None, form={}, created=result)


def _detail(
    request: Request,
    runtime: Runtime,
    viewer: Viewer,
    principal: Principal,
    ref: str,
    *,
    error: FormError | None = None,
    done: str | None = None,
    status: int = 200,
    form: dict[str, assessment.Decision] | None = None,
) -> HTMLResponse:
    today = cases.today_local(runtime.clock, runtime.policy.jurisdiction)
    with runtime.db.transaction() as session:
        req = cases.load(session, ref, events=True)
        cases.add_event(session, runtime.clock, principal.actor, req, "viewed")
        public = cases.to_public(runtime.keys, req, today)
        review = (
            assessment.items(session, runtime, req) if req.state == "assessing" and not assessment.decided(req) else []
        )
    return render_page(
        request,
        "request.html.j2",
        viewer=viewer,
        status=status,
        req=public,
        staff=_staff(runtime),
        error=error,
        done=done if done in _ACTIONS or done == "created" else None,
        today=today,
        review=[(item, (form or {}).get(item.category) or assessment.proposal(item)) for item in review],
        grounds=GROUNDS,
        can_assess=viewer.can(assessment.PERMISSION),
    )


@router.get("/{ref}", response_class=HTMLResponse)
def detail(
    request: Request, ref: str, principal: Manager, viewer: ViewerDep, runtime: RuntimeDep, done: str = ""
) -> HTMLResponse:
    return _detail(request, runtime, viewer, principal, ref, done=done or None)


def _decisions(form: dict[str, str]) -> tuple[list[assessment.Decision], dict[str, assessment.Decision]]:
    """The assessment form's rows (`category-N`, `decision-N`, `ground-N`, `reason-N`, `until-N`) as decisions;
    a date that is not a date is left out and reported by the service as missing."""
    found = []
    for index in range(1, 201):
        category = text(form, f"category-{index}", limit=100)
        if not category:
            break
        until_text = text(form, f"until-{index}", limit=20)
        try:
            until = date.fromisoformat(until_text) if until_text else None
        except ValueError:
            until = None
        choice = text(form, f"decision-{index}", limit=10)
        found.append(
            assessment.Decision(
                category=category,
                decision="keep" if choice == "keep" else "erase",
                ground=text(form, f"ground-{index}", limit=30) or None,
                reason=text(form, f"reason-{index}", limit=assessment.MAX_REASON + 1) or None,
                until=until,
            )
        )
    return found, {d.category: d for d in found}


def _assessment_error(exc: CustosError, rows: dict[str, int]) -> FormError:
    """The service names problems `decisions.<category>.<field>`; the form's inputs are `<field>-<row>`."""
    fields: dict[str, str] = {}
    for problem in exc.problems:
        where = problem.location.removeprefix("decisions.")
        category, _, name = where.rpartition(".")
        if category not in rows:
            category, name = where, "decision"
        key = f"{name}-{rows[category]}" if category in rows else name
        message = f"{problem.message} ({problem.hint})" if problem.hint else problem.message
        fields[key] = f"{fields[key]}; {message}" if key in fields else message
    return FormError(exc.message, fields, FormError.of(exc).status)


@router.post("/{ref}/assess", response_class=HTMLResponse)
def assess(
    request: Request,
    ref: str,
    principal: Assessor,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    form: FormFields,
) -> Response:
    """Art. 17(3): the reviewer's decision per category; the erasure then runs with what it keeps."""
    decisions, given = _decisions(form)
    try:
        actions.assess(runtime, ref, principal.actor, decisions)
    except (InvalidInput, Conflict) as exc:
        rows = {d.category: index for index, d in enumerate(decisions, start=1)}
        return _detail(
            request,
            runtime,
            viewer,
            principal,
            ref,
            error=_assessment_error(exc, rows),
            status=FormError.of(exc).status,
            form=given,
        )
    return RedirectResponse(f"/admin/requests/{ref}?done=assess", status_code=303)


@router.post("/{ref}/{action}", response_class=HTMLResponse)
def act(
    request: Request,
    ref: str,
    action: str,
    principal: Manager,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    form: FormFields,
) -> Response:
    actor = principal.actor
    try:
        if action == "verify":
            actions.verify_manually(runtime, ref, actor, text(form, "note", limit=2000))
        elif action == "send_verification":
            intake.send_verification(runtime, ref, actor)
        elif action == "assign":
            staff_id = text(form, "staff_id")
            with runtime.db.transaction() as session:
                cases.assign(session, runtime.clock, actor, ref, int(staff_id) if staff_id.isdigit() else None)
        elif action == "extend":
            months = text(form, "months")
            actions.extend(
                runtime,
                ref,
                actor,
                months=int(months) if months.isdigit() else 0,
                reason=text(form, "reason", limit=2000),
            )
        elif action == "refuse":
            actions.refuse(runtime, ref, actor, text(form, "reasons", limit=4000))
        elif action == "withdraw":
            with runtime.db.transaction() as session:
                cases.withdraw(session, runtime.clock, actor, ref, text(form, "note", limit=2000) or None)
        elif action == "approve":
            fields = ("name", "title", "email", "phone", "old_phone")
            changes = {k: text(form, k) for k in fields if text(form, k)}
            actions.approve(runtime, ref, actor, text(form, "note", limit=4000), changes)
        elif action == "drive":
            drive_request(runtime, ref, actor=actor)
        elif action == "retry":
            actions.retry(runtime, ref, actor)
        elif action == "complete":
            answers.complete(runtime, ref, actor, note=text(form, "note", limit=4000) or None)
        elif action == "customer_informed":
            with runtime.db.transaction() as session:
                cases.record_customer_informed(session, runtime.clock, actor, ref, text(form, "note", limit=2000))
        else:
            raise InvalidInput(f"unknown action {action!r}", [Problem("action", "not an action on a request")])
    except (InvalidInput, Conflict) as exc:
        return _detail(
            request, runtime, viewer, principal, ref, error=FormError.of(exc), status=FormError.of(exc).status
        )
    except CustosError:
        raise
    return RedirectResponse(f"/admin/requests/{ref}?done={action}", status_code=303)
