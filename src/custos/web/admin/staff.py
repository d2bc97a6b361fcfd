"""Staff accounts and their grants: list, add, grant, approve, reject, revoke, disable, enable, unlock.
`staff.manage`.

Separation of duties (Art. 32): these pages show staff and grants, never a data subject; the services refuse
a grant to oneself and disabling one's own account, and the refusal is shown on the page. Four eyes: a grant
that reaches personal data or goes beyond the granter's own waits for approval; the pages list the waiting
grants, with Approve and Reject for a member who could approve, and "waiting for approval" for the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from custos.access import grants as grant_rules
from custos.access import staff as service
from custos.access.delegation import PENDING_FOR
from custos.access.models import Grant
from custos.access.permissions import valid_scopes
from custos.access.principal import Principal
from custos.access.schemas import StaffPublic
from custos.errors import Conflict, CustosError, InvalidInput, NotFound, PermissionDenied, Problem
from custos.web.admin.forms import FormError, text
from custos.web.admin.pages import Viewer, ViewerDep, render_page
from custos.web.auth import FormFields, Require, WorkDep
from custos.work import Work

router = APIRouter(prefix="/admin/staff", include_in_schema=False)

Manager = Annotated[Principal, Require("staff.manage")]
# What a redirect after a change says on the staff member's page (post/redirect/get).
_DONE = {"granted", "proposed", "approved", "rejected", "revoked", "disabled", "enabled", "unlocked"}
_REFUSALS = (InvalidInput, Conflict, PermissionDenied, NotFound)


@dataclass(frozen=True)
class RoleRow:
    """A role as the page explains it: its description and what it allows, each permission in words."""

    name: str
    description: str  # as defined; a built-in role's is shown in the page's language (staff.roles.<name>)
    permissions: tuple[str, ...]  # permission ids, sorted; shown as staff.permissions.<id>
    built_in: bool


def _roles(work: Work) -> list[RoleRow]:
    return [
        RoleRow(name, description, tuple(sorted(permissions)), built_in)
        for name, description, permissions, built_in in grant_rules.all_roles(work)
    ]


def role_info(work: Work) -> dict[str, RoleRow]:
    """Every role by name, for pages that show a role's description next to its id (`_roles.html.j2`)."""
    return {role.name: role for role in _roles(work)}


@dataclass(frozen=True)
class PendingRow:
    """A proposed grant as the viewer sees it: whether they may decide it, or only wait."""

    grant: Grant
    member_name: str
    proposer: str  # the proposer's email, or "" when unknown
    may_approve: bool
    proposed_by_viewer: bool
    set_up: bool  # the member chose their own password and enrolled an authenticator


def _pending_rows(work: Work, principal: Principal, staff_id: int | None = None) -> list[PendingRow]:
    rows: list[PendingRow] = []
    for grant in grant_rules.pending_grants(work, staff_id=staff_id):
        member = service.get_staff(work, grant.staff_id)
        proposer = service.get_staff(work, grant.granted_by_id).email if grant.granted_by_id else ""
        rows.append(
            PendingRow(
                grant=grant,
                member_name=member.name,
                proposer=proposer,
                may_approve=grant_rules.may_decide(work, grant, principal),
                proposed_by_viewer=grant.granted_by_id == principal.staff_id,
                set_up=grant_rules.is_set_up(member),
            )
        )
    return rows


def _list_page(
    request: Request,
    work: Work,
    viewer: Viewer,
    principal: Principal,
    error: FormError | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    members = [StaffPublic.of(s) for s in service.list_staff(work)]
    pending = _pending_rows(work, principal)
    roles = _roles(work)
    return render_page(
        request,
        "staff_list.html.j2",
        viewer=viewer,
        status=error.status if error else 200,
        members=members,
        pending=pending,
        role_info={role.name: role for role in roles},
        error=error,
        form=form or {},
    )


@router.get("", response_class=HTMLResponse)
def staff_list(request: Request, principal: Manager, viewer: ViewerDep, work: WorkDep) -> HTMLResponse:
    return _list_page(request, work, viewer, principal)


@router.post("", response_class=HTMLResponse)
def add_staff(request: Request, principal: Manager, viewer: ViewerDep, work: WorkDep, form: FormFields) -> HTMLResponse:
    email, name = text(form, "email", limit=320), text(form, "name", limit=200)
    problems = [Problem(field, "is required") for field, value in (("email", email), ("name", name)) if not value]
    try:
        if problems:
            raise InvalidInput("the staff member was not added", problems)
        new = service.add_staff(work, email=email, name=name)
        member, password = StaffPublic.of(new.staff), new.password
    except _REFUSALS as exc:
        return _list_page(request, work, viewer, principal, FormError.of(exc), {"email": email, "name": name})
    # The one-time password is shown once, here; only its hash is kept.
    return render_page(request, "staff_created.html.j2", viewer=viewer, member=member, password=password)


def _detail_page(
    request: Request,
    work: Work,
    viewer: Viewer,
    principal: Principal,
    staff_id: int,
    *,
    error: FormError | None = None,
    done: str | None = None,
) -> HTMLResponse:
    now = work.clock.now()
    member = StaffPublic.of(service.get_staff(work, staff_id))
    held = grant_rules.grants_of(work, staff_id, include_ended=True)
    active_ids = {g.id for g in grant_rules.grants_of(work, staff_id)}
    pending = _pending_rows(work, principal, staff_id)
    roles = _roles(work)
    waiting_ids = {row.grant.id for row in pending}
    return render_page(
        request,
        "staff_detail.html.j2",
        viewer=viewer,
        status=error.status if error else 200,
        member=member,
        active=[g for g in held if g.id in active_ids],
        pending=pending,
        ended=[(g, grant_rules.grant_state(g, now)) for g in held if g.id not in active_ids | waiting_ids],
        roles=roles,
        role_info={role.name: role for role in roles},
        scopes=[(scope, scope) for scope in sorted(valid_scopes(work.policy))],
        error=error,
        done=done if done in _DONE else None,
        pending_days=PENDING_FOR.days,
        is_self=staff_id == viewer.staff_id,
    )


@router.get("/{staff_id}", response_class=HTMLResponse)
def staff_detail(
    request: Request, staff_id: int, principal: Manager, viewer: ViewerDep, work: WorkDep, done: str | None = None
) -> HTMLResponse:
    return _detail_page(request, work, viewer, principal, staff_id, done=done)


def _back(staff_id: int, done: str) -> Response:
    return RedirectResponse(f"/admin/staff/{staff_id}?done={done}", status_code=303)


def _last_day(value: str, work: Work) -> datetime | None:
    """A grant given "until 2027-03-31" ends when that day ends on the organisation's clock."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            "the grant is not valid", [Problem("expires_on", f"{value!r} is not a date", hint="YYYY-MM-DD")]
        ) from None
    return work.policy.jurisdiction.day_end(day)


@router.post("/{staff_id}/grants", response_class=HTMLResponse)
def add_grant(
    request: Request, staff_id: int, principal: Manager, viewer: ViewerDep, work: WorkDep, form: FormFields
) -> Response:
    try:
        expires_at = _last_day(text(form, "expires_on", limit=20), work)
        made = service.grant(
            work,
            principal,
            staff_id=staff_id,
            role=text(form, "role", limit=60),
            scope=text(form, "scope", limit=120),
            expires_at=expires_at,
        )
        pending = made.status == "pending"
    except _REFUSALS as exc:
        return _refused(request, work, viewer, principal, staff_id, exc)
    return _back(staff_id, "proposed" if pending else "granted")


def _grant_of(work: Work, staff_id: int, grant_id: int) -> Grant:
    found = work.session.get(Grant, grant_id)
    if found is None or found.staff_id != staff_id:  # the URL names both; they must belong together
        raise NotFound(f"staff member {staff_id} has no grant {grant_id}")
    return found


@router.post("/{staff_id}/grants/{grant_id}/approve", response_class=HTMLResponse)
def approve_grant(
    request: Request, staff_id: int, grant_id: int, principal: Manager, viewer: ViewerDep, work: WorkDep
) -> Response:
    def act() -> None:
        service.approve(work, principal, grant_id)

    return _on_grant(request, work, viewer, principal, staff_id, grant_id, act, "approved")


@router.post("/{staff_id}/grants/{grant_id}/reject", response_class=HTMLResponse)
def reject_grant(
    request: Request, staff_id: int, grant_id: int, principal: Manager, viewer: ViewerDep, work: WorkDep
) -> Response:
    def act() -> None:
        service.reject(work, principal, grant_id)

    return _on_grant(request, work, viewer, principal, staff_id, grant_id, act, "rejected")


@router.post("/{staff_id}/grants/{grant_id}/revoke", response_class=HTMLResponse)
def revoke_grant(
    request: Request, staff_id: int, grant_id: int, principal: Manager, viewer: ViewerDep, work: WorkDep
) -> Response:
    def act() -> None:
        service.revoke(work, grant_id, by=principal.staff_id)

    return _on_grant(request, work, viewer, principal, staff_id, grant_id, act, "revoked")


def _on_grant(
    request: Request,
    work: Work,
    viewer: Viewer,
    principal: Principal,
    staff_id: int,
    grant_id: int,
    act: Callable[[], None],
    done: str,
) -> Response:
    """One action on one of the member's grants; a refusal (raised before anything is written) comes back on
    the member's page."""
    try:
        _grant_of(work, staff_id, grant_id)
        act()
    except _REFUSALS as exc:
        return _refused(request, work, viewer, principal, staff_id, exc)
    return _back(staff_id, done)


@router.post("/{staff_id}/status", response_class=HTMLResponse)
def set_status(
    request: Request, staff_id: int, principal: Manager, viewer: ViewerDep, work: WorkDep, form: FormFields
) -> Response:
    status = "disabled" if form.get("status") == "disabled" else "active"
    try:
        service.update_staff(work, staff_id, by=principal.staff_id, status=status)
    except _REFUSALS as exc:
        return _refused(request, work, viewer, principal, staff_id, exc)
    return _back(staff_id, "disabled" if status == "disabled" else "enabled")


@router.post("/{staff_id}/unlock", response_class=HTMLResponse)
def unlock(request: Request, staff_id: int, principal: Manager, viewer: ViewerDep, work: WorkDep) -> Response:
    try:
        service.unlock_staff(work, staff_id)
    except _REFUSALS as exc:
        return _refused(request, work, viewer, principal, staff_id, exc)
    return _back(staff_id, "unlocked")


def _refused(
    request: Request, work: Work, viewer: Viewer, principal: Principal, staff_id: int, exc: CustosError
) -> HTMLResponse:
    """The staff member's page again, saying why; for an unknown staff member that page is the 404 page."""
    error = FormError.of(exc, {"expires_at": "expires_on"})
    return _detail_page(request, work, viewer, principal, staff_id, error=error)
