"""Organisations in the register: their roles over time (customer, supplier, partner) and the people on them.

`register.read` to look: the list (search by name or number, filter by a role held today, pages, a CSV export,
audited as `organisation.export` although names and numbers of organisations are not personal data), and an
organisation's page: its role periods as a timeline, and the people whose relationships hang on it with the day
each falls due. Their names are personal data, so showing them is audited as `person.list` (by ref) in the same
unit (`casework.organisation_people.people_of`). `register.write` to add an organisation, add a role period, or end
one; ending a period changes when its contacts fall due, so the form first shows how many people's due dates
change and asks to confirm.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from custos.access.principal import Principal
from custos.casework import organisation_people
from custos.clock import today
from custos.errors import Conflict, InvalidInput, Problem
from custos.register import organisations
from custos.register.schemas import OrganisationCreate, OrganisationPublic, RoleSpan
from custos.web.admin.forms import FormError, text
from custos.web.admin.pages import Viewer, ViewerDep, render_page
from custos.web.auth import FormFields, Require, WorkDep
from custos.work import Work

router = APIRouter(prefix="/admin/organisations", include_in_schema=False)

Reader = Annotated[Principal, Require("register.read")]
Writer = Annotated[Principal, Require("register.write")]

PAGE_SIZE = 50
_DONE = {"added", "role_added", "role_ended"}
CSV_COLUMNS = ("id", "name", "org_number", "current_roles", "roles")

# The timeline's drawing area, in SVG user units: one lane per role.
_WIDTH, _LANE, _LEFT = 640, 28, 90


@dataclass(frozen=True)
class Bar:
    role: str
    x: int
    width: int
    y: int
    started_on: date | None
    ended_on: date | None


@dataclass(frozen=True)
class Timeline:
    bars: list[Bar]
    height: int
    first: date
    last: date
    lanes: list[tuple[str, int]]


def _timeline(org: OrganisationPublic, on: date) -> Timeline | None:
    """The role periods drawn on one time axis, from the earliest start to today (or the latest end)."""
    if not org.roles:
        return None
    starts = [r.started_on for r in org.roles if r.started_on] or [org.created_at.date()]
    ends = [r.ended_on for r in org.roles if r.ended_on]
    first, last = min(starts), max([on, *ends])
    span = max((last - first).days, 1)
    lanes = [role for role in organisations.ROLES if any(r.role == role for r in org.roles)]
    scale = (_WIDTH - _LEFT) / span
    bars = []
    for r in org.roles:
        start, end = r.started_on or first, r.ended_on or last
        x = _LEFT + int((start - first).days * scale)
        width = max(int((end - start).days * scale), 3)
        bars.append(Bar(r.role, x, width, 8 + lanes.index(r.role) * _LANE, r.started_on, r.ended_on))
    return Timeline(bars, 16 + len(lanes) * _LANE, first, last, [(role, 8 + i * _LANE) for i, role in enumerate(lanes)])


def _current_roles(org: OrganisationPublic, on: date) -> list[str]:
    return [
        role
        for role in organisations.ROLES
        if any(
            r.role == role and (r.started_on is None or r.started_on <= on) and (r.ended_on is None or r.ended_on >= on)
            for r in org.roles
        )
    ]


def _role_filter(value: str | None) -> str | None:
    return value if value in organisations.ROLES else None


@router.get("", response_class=HTMLResponse)
def organisations_page(
    request: Request,
    principal: Reader,
    viewer: ViewerDep,
    work: WorkDep,
    q: Annotated[str, Query(max_length=100)] = "",
    role: Annotated[str, Query(max_length=20)] = "",
    offset: Annotated[int, Query(ge=0)] = 0,
    done: str | None = None,
) -> HTMLResponse:
    return _list_page(request, work, viewer, q=q, role=role, offset=offset, done=done)


def _list_page(
    request: Request,
    work: Work,
    viewer: Viewer,
    *,
    q: str = "",
    role: str = "",
    offset: int = 0,
    done: str | None = None,
    error: FormError | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    on = today(work.clock)
    rows, total = organisations.search_organisations(
        work, name=q.strip() or None, role=_role_filter(role), limit=PAGE_SIZE, offset=offset
    )
    return render_page(
        request,
        "organisations.html.j2",
        viewer=viewer,
        status=error.status if error else 200,
        rows=[(o, _current_roles(o, on)) for o in rows],
        total=total,
        q=q.strip(),
        role=_role_filter(role) or "",
        roles=organisations.ROLES,
        offset=offset,
        page_size=PAGE_SIZE,
        done=done if done in _DONE else None,
        error=error,
        form=form or {},
    )


@router.get("/export.csv")
def export(
    principal: Reader,
    work: WorkDep,
    q: Annotated[str, Query(max_length=100)] = "",
    role: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """Every organisation the filters find, as CSV; audited like every export from the admin."""
    on = today(work.clock)
    rows = organisations.export_organisations(work, name=q.strip() or None, role=_role_filter(role))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for o in rows:
        periods = "; ".join(f"{r.role} {_iso(r.started_on)}–{_iso(r.ended_on)}" for r in o.roles)
        writer.writerow([o.id, _cell(o.name), _cell(o.org_number or ""), " ".join(_current_roles(o, on)), periods])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="organisations-{on.isoformat()}.csv"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def _cell(value: str) -> str:
    # A name starting like a formula is shown as text by a spreadsheet, never run (CSV injection).
    return "'" + value if value.startswith(("=", "+", "-", "@", "\t", "\r")) else value


def _day(form: dict[str, str], name: str, problems: list[Problem], *, required: bool = False) -> date | None:
    value = text(form, name, limit=10)
    if not value:
        if required:
            problems.append(Problem(name, "is needed", hint="YYYY-MM-DD"))
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(Problem(name, f"{value!r} is not a date", hint="YYYY-MM-DD"))
        return None


def _span(form: dict[str, str], *, ending: bool = False) -> RoleSpan:
    problems: list[Problem] = []
    role = text(form, "role", limit=20)
    if role not in organisations.ROLES:
        problems.append(Problem("role", "choose customer, supplier or partner"))
    started = None if ending else _day(form, "started_on", problems)
    ended = _day(form, "ended_on", problems, required=ending)
    if problems:
        raise InvalidInput("the role period was not saved", problems)
    try:
        return RoleSpan(role=role, started_on=started, ended_on=ended)
    except ValidationError as exc:
        found = [
            Problem(str(item["loc"][-1]) if item["loc"] else "ended_on", str(item["msg"]).removeprefix("Value error, "))
            for item in exc.errors()
        ]
        raise InvalidInput("the role period was not saved", found) from None


@router.post("", response_class=HTMLResponse)
def add(request: Request, principal: Writer, viewer: ViewerDep, work: WorkDep, form: FormFields) -> Response:
    kept = {k: text(form, k, limit=300) for k in ("name", "org_number", "role", "started_on")}
    try:
        problems: list[Problem] = []
        if not kept["name"]:
            problems.append(Problem("name", "is needed"))
        roles = []
        if kept["role"]:
            if kept["role"] not in organisations.ROLES:
                problems.append(Problem("role", "choose customer, supplier or partner"))
            started = _day(form, "started_on", problems)
            if not problems:
                roles = [RoleSpan(role=kept["role"], started_on=started)]
        if problems:
            raise InvalidInput("the organisation was not added", problems)
        data = OrganisationCreate(name=kept["name"], org_number=kept["org_number"] or None, roles=roles)
        org = organisations.create_organisation(work, data)  # checked before it is written; audited there
    except (InvalidInput, Conflict) as exc:
        error = FormError.of(exc)
        if isinstance(exc, Conflict):
            error = FormError(exc.message, {"org_number": exc.message}, error.status)
        return _list_page(request, work, viewer, error=error, form=kept)
    return RedirectResponse(f"/admin/organisations/{org.id}?done=added", status_code=303)


def _org_page(
    request: Request,
    work: Work,
    viewer: Viewer,
    org_id: int,
    *,
    offset: int = 0,
    done: str | None = None,
    error: FormError | None = None,
    form: dict[str, str] | None = None,
    confirm: dict[str, object] | None = None,
) -> HTMLResponse:
    on = today(work.clock)
    org = organisations.get_organisation(work, org_id)
    people, total = organisation_people.people_of(work, org_id, limit=PAGE_SIZE, offset=offset)  # audited there
    titles = {c.id: c.name for c in work.policy.subject_categories}
    return render_page(
        request,
        "organisation.html.j2",
        viewer=viewer,
        status=error.status if error else 200,
        org=org,
        current=_current_roles(org, on),
        timeline=_timeline(org, on),
        people=people,
        total=total,
        titles=titles,
        offset=offset,
        page_size=PAGE_SIZE,
        roles=organisations.ROLES,
        open_roles=[r.role for r in org.roles if r.ended_on is None],
        done=done if done in _DONE else None,
        error=error,
        form=form or {},
        confirm=confirm,
        today=on,
    )


@router.get("/{org_id}", response_class=HTMLResponse)
def organisation_page(
    request: Request,
    org_id: int,
    principal: Reader,
    viewer: ViewerDep,
    work: WorkDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    done: str | None = None,
) -> HTMLResponse:
    return _org_page(request, work, viewer, org_id, offset=offset, done=done)


@router.post("/{org_id}/roles", response_class=HTMLResponse)
def add_role(
    request: Request, org_id: int, principal: Writer, viewer: ViewerDep, work: WorkDep, form: FormFields
) -> Response:
    kept = {k: text(form, k, limit=20) for k in ("role", "started_on", "ended_on")}
    try:
        span = _span(form)
        organisations.add_role(work, org_id, span)  # checked before it is written; audited there
    except (InvalidInput, Conflict) as exc:
        error = FormError.of(exc)
        if isinstance(exc, Conflict):
            error = FormError(exc.message, {"role": exc.message}, error.status)
        return _org_page(request, work, viewer, org_id, error=error, form=kept)
    return RedirectResponse(f"/admin/organisations/{org_id}?done=role_added#roles", status_code=303)


@router.post("/{org_id}/roles/end", response_class=HTMLResponse)
def end_role(
    request: Request, org_id: int, principal: Writer, viewer: ViewerDep, work: WorkDep, form: FormFields
) -> Response:
    """End the open period of a role. First shown: how many people's due dates this changes; the period is
    ended only when that number comes back confirmed (a number that changed meanwhile is shown again)."""
    kept = {k: text(form, k, limit=20) for k in ("role", "ended_on")}
    confirmed = text(form, "people", limit=9)
    ask: dict[str, object] | None = None
    try:
        span = _span(form, ending=True)
        assert span.ended_on is not None
        changes, ended = organisation_people.end_role(work, org_id, span.role, span.ended_on, confirmed=confirmed)
        if not ended:
            # Nothing is changed on a number that is not the one this end would change now: shown first.
            ask = {"role": span.role, "ended_on": span.ended_on, "people": changes, "changed": bool(confirmed)}
    except (InvalidInput, Conflict) as exc:
        return _org_page(request, work, viewer, org_id, error=FormError.of(exc), form=kept)
    if ask is not None:
        return _org_page(request, work, viewer, org_id, form=kept, confirm=ask)
    return RedirectResponse(f"/admin/organisations/{org_id}?done=role_ended#roles", status_code=303)
