"""The data subject requests pages: the queue by due date with a chart of days left, one request with its
tasks and history, the actions on it, and staff entry of a request that came by mail or ticket.

`requests.manage` for the queue and the actions; `requests.intake` for staff entry only (a support agent takes
a request in and sees nothing else: the page afterwards shows the new ref, not the queue).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.access.models import Staff
from custos.access.principal import Principal
from custos.errors import Conflict, CustosError, InvalidInput, Problem
from custos.jurisdiction import Jurisdiction
from custos.requests import actions, answers, assessment, cases, history, intake, queue
from custos.requests.driver import drive_request
from custos.requests.schemas import RequestSummary, request_from_form
from custos.requests.states import CLOSED, KINDS, STATES
from custos.runtime import Runtime
from custos.systems import tasks
from custos.systems.kept import GROUNDS
from custos.web.admin import request_words
from custos.web.admin.charts import BarChart, bar_chart, scale_top
from custos.web.admin.forms import FormError, text
from custos.web.admin.pages import Viewer, ViewerDep, language, render_page
from custos.web.admin.texts import Words
from custos.web.admin.ui import ui_of
from custos.web.auth import FormFields, Require, WorkDep
from custos.web.deps import RuntimeDep
from custos.work import Work

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


def _active_staff(session: Session) -> list[tuple[int, str]]:
    return [(s.id, s.name) for s in session.scalars(select(Staff).where(Staff.status == "active").order_by(Staff.name))]


def _filters(state: str, kind: str, assignee: str, days: str, overdue: str) -> queue.Filters:
    return queue.Filters.of(state=state, kind=kind, assignee=assignee, days=days, overdue=overdue)


def _queue_page(
    request: Request,
    work: Work,
    viewer: Viewer,
    *,
    filters: queue.Filters,
    offset: int = 0,
    done: str | None = None,
    count: int = 0,
) -> HTMLResponse:
    today = cases.today_local(work.clock, work.policy.jurisdiction)
    everything = cases.list_requests(work, open_only=True)
    found = queue.page(work, filters, viewer_id=viewer.staff_id, offset=offset)
    staff = _active_staff(work.session)  # in the request's unit: SQLite allows one writer transaction at a time
    counted = buckets(everything)
    assessing = sum(1 for r in everything if r.state == "assessing")
    query = filters.query()
    return render_page(
        request,
        "requests.html.j2",
        viewer=viewer,
        rows=found.rows,
        found=found,
        chart=chart(counted),
        buckets=counted,
        filters=filters,
        query=urlencode(query),
        export_url="/admin/requests/export.csv" + (f"?{urlencode(query)}" if query else ""),
        states=STATES,
        kinds=KINDS,
        days=tuple(queue.DAYS),
        staff=staff,
        names=dict(staff),
        today=today,
        done=done if done in _QUEUE_DONE else None,
        count=count,
        can_manage=True,
        assessing=assessing,
    )


_QUEUE_DONE = ("assigned", "unassigned")


@router.get("", response_class=HTMLResponse)
def queue_page(
    request: Request,
    principal: Manager,
    viewer: ViewerDep,
    work: WorkDep,
    state: str = "",
    kind: str = "",
    assignee: str = "",
    days: str = "",
    overdue: str = "",
    offset: Annotated[int, Query(ge=0)] = 0,
    done: str = "",
    n: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:
    filters = _filters(state, kind, assignee, days, overdue)
    return _queue_page(request, work, viewer, filters=filters, offset=offset, done=done or None, count=n)


CSV_COLUMNS = ("ref", "kind", "state", "received_at", "due_on", "days_left", "overdue", "assignee")


@router.get("/export.csv")
def export_queue(
    principal: Manager,
    work: WorkDep,
    state: str = "",
    kind: str = "",
    assignee: str = "",
    days: str = "",
    overdue: str = "",
) -> Response:
    """The filtered queue as CSV: refs, kinds, states and dates only, never a subject's contact details (the
    file leaves Custos); the export is audited with its filters and its size (Art. 5(2))."""
    filters = _filters(state, kind, assignee, days, overdue)
    where = work.policy.jurisdiction
    today = cases.today_local(work.clock, where)
    rows = queue.export(work, filters, viewer_id=principal.staff_id)
    names = {row.id: row.name for row in work.session.execute(select(Staff.id, Staff.name))}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        open_ = r.state not in CLOSED
        writer.writerow(
            [
                r.ref,
                r.kind,
                r.state,
                where.format_time(r.received_at),
                r.due_on.isoformat(),
                r.days_left if open_ else "",
                "yes" if r.overdue else "no",
                names.get(r.assignee_id, "") if r.assignee_id is not None else "",
            ]
        )
    stamp = today.isoformat()
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="requests-{stamp}.csv"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _picked(form: dict[str, str]) -> list[str]:
    """The refs ticked on the page (`ref-1`, `ref-2` …: the form reader keeps one value per name), or every
    ref of the page when "select all on this page" is ticked (which works without the page's script)."""
    if form.get("all_on_page") == "1":
        return [r for r in text(form, "page_refs", limit=20 * queue.MAX_SELECTION).split(",") if r.strip()]
    return [text(form, name, limit=20) for name in sorted(form) if name.startswith("ref-")]


def _back(form: dict[str, str]) -> str:
    """The queue's filters to return to (only the queue's own keys survive)."""
    raw = dict(parse_qsl(text(form, "back", limit=500)))
    return urlencode(_filters(**{k: raw.get(k, "") for k in ("state", "kind", "assignee", "days", "overdue")}).query())


@router.post("/bulk-assign", response_class=HTMLResponse)
def bulk_assign(
    request: Request, principal: Manager, viewer: ViewerDep, runtime: RuntimeDep, form: FormFields
) -> Response:
    """Two steps: the selection is checked and a confirmation names how many will be assigned (and which are
    refused, and why); the confirmed form then assigns all of them in one transaction, or none."""
    refs = _picked(form)
    staff_text = text(form, "staff_id")
    staff_id = int(staff_text) if staff_text.isdigit() else None
    back = _back(form)
    confirmed = form.get("confirm") == "1"
    with runtime.work(principal.actor) as work:
        staff = _active_staff(work.session)
    who = dict(staff).get(staff_id or -1)

    def shown(plan: queue.AssignmentPlan, error: FormError | None = None) -> HTMLResponse:
        return render_page(
            request,
            "requests_bulk.html.j2",
            viewer=viewer,
            status=error.status if error else 200,
            plan=plan,
            error=error,
            staff_id=staff_id,
            who=who,
            back=back,
        )

    try:
        with runtime.work(principal.actor) as work:
            if not confirmed:
                checked = queue.plan(work, refs, staff_id)
            else:
                done = queue.assign_many(work, refs, staff_id)
    except queue.BulkRefused as exc:
        left_out = {r.ref for r in exc.refused}
        return shown(
            queue.AssignmentPlan([r for r in dict.fromkeys(refs) if r not in left_out], exc.refused), FormError.of(exc)
        )
    except InvalidInput as exc:
        return shown(queue.AssignmentPlan([], []), FormError.of(exc))
    if not confirmed:
        return shown(checked)
    outcome = "assigned" if staff_id is not None else "unassigned"
    tail = f"&{back}" if back else ""
    return RedirectResponse(f"/admin/requests?done={outcome}&n={len(done)}{tail}#queue-heading", status_code=303)


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
    with runtime.work(principal.actor) as work:
        req, public = cases.view(work, ref)
        review = assessment.items(work, req) if req.state == "assessing" and not assessment.decided(req) else []
        names = history.names(work)
        manual = tasks.tasks_for_cause(work, f"request:{ref}")
        staff = _active_staff(work.session)
    words = _words(request, runtime)
    decided_by = (public.assessment or {}).get("decided_by")
    return render_page(
        request,
        "request.html.j2",
        viewer=viewer,
        status=status,
        req=public,
        staff=staff,
        error=error,
        done=done if done in _ACTIONS or done == "created" else None,
        today=today,
        review=[(item, (form or {}).get(item.category) or assessment.proposal(item)) for item in review],
        grounds=GROUNDS,
        can_assess=viewer.can(assessment.PERMISSION),
        history=[(e, request_words.event(words, names, e)) for e in public.events],
        results={t.target: request_words.result(words, names, t) for t in public.tasks},
        system_names={t.target: request_words.system_name(words, names, t.target) for t in public.tasks},
        kept_lines=[request_words.kept(words, names, k) for k in public.keep],
        outcome_kept=[request_words.kept(words, names, k) for k in public.outcome.get("kept", [])],
        category_names=names.categories,
        decided_by=request_words.actor(words, names, str(decided_by)) if decided_by else None,
        manual=manual,
        openable=set(tasks.systems_for(principal, runtime.policy)),
        waiting=sum(1 for t in manual if t.state == "open"),
    )


def _words(request: Request, runtime: Runtime) -> Words:
    ui = ui_of(request)
    assert ui is not None
    return ui.words[language(request, runtime.settings.language)]


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
            with runtime.work(actor) as work:
                cases.assign(work, ref, int(staff_id) if staff_id.isdigit() else None)
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
            with runtime.work(actor) as work:
                cases.withdraw(work, ref, text(form, "note", limit=2000) or None)
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
            with runtime.work(actor) as work:
                cases.record_customer_informed(work, ref, text(form, "note", limit=2000))
        else:
            raise InvalidInput(f"unknown action {action!r}", [Problem("action", "not an action on a request")])
    except (InvalidInput, Conflict) as exc:
        return _detail(
            request, runtime, viewer, principal, ref, error=FormError.of(exc), status=FormError.of(exc).status
        )
    except CustosError:
        raise
    return RedirectResponse(f"/admin/requests/{ref}?done={action}", status_code=303)
