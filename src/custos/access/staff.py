"""Managing staff accounts, roles and grants; each change is audited (Art. 5(2), 32(4)).

Callers check `staff.manage` first. A disabled account loses its sessions at once and its API tokens stop
working, because every token use re-checks that its owner is active.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos import audit
from custos.access import grants as grant_rules
from custos.access.login import normalise_email
from custos.access.models import Grant, Role, Staff
from custos.access.passwords import hash_password
from custos.access.principal import Principal
from custos.access.sessions import close_all_sessions
from custos.actor import Actor
from custos.audit import Action
from custos.clock import Clock
from custos.errors import Conflict, NotFound, PermissionDenied
from custos.policy import Policy


@dataclass(frozen=True)
class NewStaff:
    staff: Staff
    password: str  # one-time; shown once, changed at first login


def one_time_password() -> str:
    return secrets.token_urlsafe(18)


def add_staff(session: Session, clock: Clock, actor: Actor, *, email: str, name: str) -> NewStaff:
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
        created_at=clock.now(),
    )
    session.add(staff)
    session.flush()
    audit.record(session, clock, actor, "staff.create", target=f"staff:{staff.id}")
    return NewStaff(staff=staff, password=password)


def get_staff(session: Session, staff_id: int) -> Staff:
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise NotFound(f"no staff member with id {staff_id}")
    return staff


def find_staff(session: Session, email: str) -> Staff:
    staff = session.scalar(select(Staff).where(Staff.email == normalise_email(email)))
    if staff is None:
        raise NotFound("no staff member with that email")
    return staff


def list_staff(session: Session) -> list[Staff]:
    return list(session.scalars(select(Staff).order_by(Staff.id)))


def update_staff(
    session: Session,
    clock: Clock,
    actor: Actor,
    staff_id: int,
    *,
    by: int | None,
    name: str | None = None,
    status: str | None = None,
) -> Staff:
    staff = get_staff(session, staff_id)
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
            close_all_sessions(session, clock.now(), staff.id)
    if changed:
        details: dict[str, object] = {"fields": changed}
        if "status" in changed:
            details["status"] = staff.status
        action = "staff.disable" if staff.status == "disabled" and "status" in changed else "staff.update"
        audit.record(session, clock, actor, action, target=f"staff:{staff.id}", details=details)
    return staff


def unlock_staff(session: Session, clock: Clock, actor: Actor, staff_id: int) -> Staff:
    staff = get_staff(session, staff_id)
    staff.locked_until = None
    staff.failed_logins = 0
    audit.record(session, clock, actor, "staff.unlock", target=f"staff:{staff.id}")
    return staff


def grant(
    session: Session,
    clock: Clock,
    principal: Principal,
    policy: Policy,
    *,
    staff_id: int,
    role: str,
    scope: str,
    expires_at: datetime | None,
) -> Grant:
    """Grant a role, or propose it when it needs a second member's approval (`made.status == "pending"`)."""
    made = grant_rules.grant_role(
        session, policy, clock.now(), staff_id=staff_id, role=role, scope=scope, expires_at=expires_at, by=principal
    )
    details: dict[str, object] = {
        "role": role,
        "scope": scope,
        "expires_at": expires_at.isoformat() if expires_at else None,
        "approval": made.approval,
    }
    if made.status == "pending":
        assert made.pending_until is not None
        details["needs_approval"] = grant_rules.four_eyes_reason(session, policy, made, principal)
        details["pending_until"] = made.pending_until.isoformat()
    audit.record(
        session,
        clock,
        principal.actor,
        Action.GRANT_PROPOSE if made.status == "pending" else Action.GRANT_CREATE,
        target=f"staff:{staff_id}",
        reference=f"grant:{made.id}",
        details=details,
    )
    return made


def approve(session: Session, clock: Clock, principal: Principal, policy: Policy, grant_id: int) -> Grant:
    """The second pair of eyes: the proposed grant takes effect now; who approved it is recorded."""
    decided = grant_rules.approve_grant(session, policy, clock.now(), grant_id, by=principal)
    return _decision_recorded(session, clock, principal, Action.GRANT_APPROVE, decided)


def reject(session: Session, clock: Clock, principal: Principal, policy: Policy, grant_id: int) -> Grant:
    """Turn a proposed grant down (or, by its proposer, withdraw it); it stays on record as rejected."""
    decided = grant_rules.reject_grant(session, policy, clock.now(), grant_id, by=principal)
    return _decision_recorded(session, clock, principal, Action.GRANT_REJECT, decided)


def _decision_recorded(session: Session, clock: Clock, principal: Principal, action: str, decided: Grant) -> Grant:
    """The audit event of a second member's decision on a proposed grant: who proposed it, and what."""
    audit.record(
        session,
        clock,
        principal.actor,
        action,
        target=f"staff:{decided.staff_id}",
        reference=f"grant:{decided.id}",
        details={"role": decided.role, "scope": decided.scope, "proposed_by": _staff_ref(decided.granted_by_id)},
    )
    return decided


def _staff_ref(staff_id: int | None) -> str | None:
    return f"staff:{staff_id}" if staff_id is not None else None


def revoke(session: Session, clock: Clock, actor: Actor, grant_id: int, *, by: int | None) -> Grant:
    ended = grant_rules.revoke_grant(session, clock.now(), grant_id, by=by)
    audit.record(
        session,
        clock,
        actor,
        "grant.revoke",
        target=f"staff:{ended.staff_id}",
        reference=f"grant:{ended.id}",
        details={"role": ended.role, "scope": ended.scope},
    )
    return ended


def define_role(
    session: Session,
    clock: Clock,
    principal: Principal,
    policy: Policy,
    *,
    name: str,
    description: str,
    permissions: list[str],
) -> Role:
    role = grant_rules.define_role(
        session, policy, clock.now(), name=name, description=description, permissions=permissions, by=principal
    )
    audit.record(
        session,
        clock,
        principal.actor,
        "role.create",
        target=f"role:{role.name}",
        details={"permissions": role.permissions},
    )
    return role
