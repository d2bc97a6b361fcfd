"""Managing staff accounts, roles and grants; each change is audited (Art. 5(2), 32(4)).

Callers check `staff.manage` first. A disabled account loses its sessions at once and its API tokens stop
working, because every token use re-checks that its owner is active.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from custos.access import grants as grant_rules
from custos.access.login import normalise_email
from custos.access.models import Grant, Role, Staff
from custos.access.passwords import hash_password
from custos.access.principal import Principal
from custos.access.sessions import close_all_sessions
from custos.audit import Action
from custos.errors import Conflict, NotFound, PermissionDenied
from custos.work import Work


@dataclass(frozen=True)
class NewStaff:
    staff: Staff
    password: str  # one-time; shown once, changed at first login


def one_time_password() -> str:
    return secrets.token_urlsafe(18)


def add_staff(work: Work, *, email: str, name: str) -> NewStaff:
    session = work.session
    email = normalise_email(email)
    if session.scalar(select(Staff.id).where(Staff.email == email)) is not None:
        raise Conflict("a staff member with this email already exists")
    password = one_time_password()
    staff = Staff(
        email=email,
        name=name.strip(),
        status="active",
        password_hash=hash_password(password),
        must_change_password=True,
        created_at=work.clock.now(),
    )
    session.add(staff)
    session.flush()
    work.audit(Action.STAFF_CREATE, target=f"staff:{staff.id}")
    return NewStaff(staff=staff, password=password)


def get_staff(work: Work, staff_id: int) -> Staff:
    staff = work.session.get(Staff, staff_id)
    if staff is None:
        raise NotFound(f"no staff member with id {staff_id}")
    return staff


def find_staff(work: Work, email: str) -> Staff:
    staff = work.session.scalar(select(Staff).where(Staff.email == normalise_email(email)))
    if staff is None:
        raise NotFound("no staff member with that email")
    return staff


def list_staff(work: Work) -> list[Staff]:
    return list(work.session.scalars(select(Staff).order_by(Staff.id)))


def update_staff(
    work: Work,
    staff_id: int,
    *,
    by: int | None,
    name: str | None = None,
    status: str | None = None,
) -> Staff:
    staff = get_staff(work, staff_id)
    changed: list[str] = []
    if name is not None and name != staff.name:
        staff.name = name
        changed.append("name")
    if status is not None and status != staff.status:
        if status == "disabled" and by == staff_id:
            raise PermissionDenied("You cannot disable your own account.")
        staff.status = status
        changed.append("status")
        if status == "disabled":
            close_all_sessions(work.session, work.clock.now(), staff.id)
    if changed:
        details: dict[str, object] = {"fields": changed}
        if "status" in changed:
            details["status"] = staff.status
        disabled = staff.status == "disabled" and "status" in changed
        work.audit(
            Action.STAFF_DISABLE if disabled else Action.STAFF_UPDATE, target=f"staff:{staff.id}", details=details
        )
    return staff


def unlock_staff(work: Work, staff_id: int) -> Staff:
    staff = get_staff(work, staff_id)
    staff.locked_until = None
    staff.failed_logins = 0
    work.audit(Action.STAFF_UNLOCK, target=f"staff:{staff.id}")
    return staff


def grant(
    work: Work,
    principal: Principal,
    *,
    staff_id: int,
    role: str,
    scope: str,
    expires_at: datetime | None,
) -> Grant:
    """Grant a role, or propose it when it needs a second member's approval (`made.status == "pending"`)."""
    made = grant_rules.grant_role(work, staff_id=staff_id, role=role, scope=scope, expires_at=expires_at, by=principal)
    details: dict[str, object] = {
        "role": role,
        "scope": scope,
        "expires_at": expires_at.isoformat() if expires_at else None,
        "approval": made.approval,
    }
    if made.status == "pending":
        assert made.pending_until is not None
        details["needs_approval"] = grant_rules.four_eyes_reason(work, made, principal)
        details["pending_until"] = made.pending_until.isoformat()
    work.audit(
        Action.GRANT_PROPOSE if made.status == "pending" else Action.GRANT_CREATE,
        target=f"staff:{staff_id}",
        reference=f"grant:{made.id}",
        details=details,
    )
    return made


def approve(work: Work, principal: Principal, grant_id: int) -> Grant:
    """The second pair of eyes: the proposed grant takes effect now; who approved it is recorded."""
    decided = grant_rules.approve_grant(work, grant_id, by=principal)
    return _decision_recorded(work, Action.GRANT_APPROVE, decided)


def reject(work: Work, principal: Principal, grant_id: int) -> Grant:
    """Turn a proposed grant down (or, by its proposer, withdraw it); it stays on record as rejected."""
    decided = grant_rules.reject_grant(work, grant_id, by=principal)
    return _decision_recorded(work, Action.GRANT_REJECT, decided)


def _decision_recorded(work: Work, action: Action, decided: Grant) -> Grant:
    """The audit event of a second member's decision on a proposed grant: who proposed it, and what."""
    work.audit(
        action,
        target=f"staff:{decided.staff_id}",
        reference=f"grant:{decided.id}",
        details={"role": decided.role, "scope": decided.scope, "proposed_by": _staff_ref(decided.granted_by_id)},
    )
    return decided


def _staff_ref(staff_id: int | None) -> str | None:
    return f"staff:{staff_id}" if staff_id is not None else None


def revoke(work: Work, grant_id: int, *, by: int | None) -> Grant:
    ended = grant_rules.revoke_grant(work, grant_id, by=by)
    work.audit(
        Action.GRANT_REVOKE,
        target=f"staff:{ended.staff_id}",
        reference=f"grant:{ended.id}",
        details={"role": ended.role, "scope": ended.scope},
    )
    return ended


def define_role(
    work: Work,
    principal: Principal,
    *,
    name: str,
    description: str,
    permissions: list[str],
) -> Role:
    role = grant_rules.define_role(work, name=name, description=description, permissions=permissions, by=principal)
    work.audit(Action.ROLE_CREATE, target=f"role:{role.name}", details={"permissions": role.permissions})
    return role
