"""Roles and grants: staff x role x scope, with an optional expiry, who granted it, and when it was revoked.

Every grant and revocation is kept (revoked grants are not deleted) and audited, so the access review and
the authority can see who could do what on any day (Art. 5(2), 24, 32).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from custos.access.models import Grant, Role, Staff
from custos.access.permissions import BUILTIN_ROLES, PERMISSIONS, valid_scopes
from custos.access.principal import HeldGrant
from custos.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from custos.policy import Policy

_ROLE_NAME = re.compile(r"[a-z][a-z0-9_]{1,59}")
# Last use is written at most this often, so a busy session does not write on every request.
_TOUCH_EVERY = timedelta(hours=1)


def role_permissions(session: Session, name: str) -> frozenset[str] | None:
    if name in BUILTIN_ROLES:
        return BUILTIN_ROLES[name].permissions
    role = session.scalar(select(Role).where(Role.name == name))
    return frozenset(role.permissions) if role is not None else None


def all_roles(session: Session) -> list[tuple[str, str, frozenset[str], bool]]:
    """(name, description, permissions, built_in) for every role, built-in first."""
    rows = [(r.name, r.description, r.permissions, True) for r in BUILTIN_ROLES.values()]
    for role in session.scalars(select(Role).order_by(Role.name)):
        rows.append((role.name, role.description, frozenset(role.permissions), False))
    return rows


def define_role(
    session: Session, now: datetime, *, name: str, description: str, permissions: list[str], by: int | None
) -> Role:
    problems: list[Problem] = []
    if not _ROLE_NAME.fullmatch(name):
        problems.append(Problem("name", "use 2-60 lower-case letters, digits and _ , starting with a letter"))
    if name in BUILTIN_ROLES:
        problems.append(Problem("name", f"{name!r} is a built-in role"))
    unknown = sorted(set(permissions) - set(PERMISSIONS))
    if unknown:
        problems.append(
            Problem("permissions", f"unknown: {', '.join(unknown)}", hint=f"known: {', '.join(sorted(PERMISSIONS))}")
        )
    if not permissions:
        problems.append(Problem("permissions", "a role needs at least one permission"))
    if problems:
        raise InvalidInput("the role is not valid", problems)
    if session.scalar(select(Role.id).where(Role.name == name)) is not None:
        raise Conflict(f"a role named {name!r} already exists")
    role = Role(
        name=name, description=description, permissions=sorted(set(permissions)), created_by_id=by, created_at=now
    )
    session.add(role)
    session.flush()
    return role


def grant_role(
    session: Session,
    policy: Policy,
    now: datetime,
    *,
    staff_id: int,
    role: str,
    scope: str,
    expires_at: datetime | None,
    by: int | None,
) -> Grant:
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise NotFound(f"no staff member with id {staff_id}")
    # Nobody raises their own privileges: a grant always needs a second person (separation of duties).
    if by is not None and by == staff_id:
        raise PermissionDenied("You cannot grant a role to yourself; ask another administrator.")
    problems: list[Problem] = []
    if role_permissions(session, role) is None:
        names = ", ".join(name for name, *_ in all_roles(session))
        problems.append(Problem("role", f"unknown role {role!r}", hint=f"use one of: {names}"))
    scopes = valid_scopes(policy)
    if scope not in scopes:
        problems.append(Problem("scope", f"unknown scope {scope!r}", hint=f"use one of: {', '.join(sorted(scopes))}"))
    if expires_at is not None and expires_at <= now:
        problems.append(Problem("expires_at", "the expiry is in the past"))
    if problems:
        raise InvalidInput("the grant is not valid", problems)
    if staff.status != "active":
        raise Conflict("the staff member is disabled; enable the account first")
    duplicate = session.scalar(
        select(Grant.id).where(Grant.staff_id == staff_id, Grant.role == role, Grant.scope == scope, active_clause(now))
    )
    if duplicate is not None:
        raise Conflict(f"the staff member already holds {role} for {scope!r} (grant {duplicate})")
    grant = Grant(staff_id=staff_id, role=role, scope=scope, granted_by_id=by, granted_at=now, expires_at=expires_at)
    session.add(grant)
    session.flush()
    return grant


def revoke_grant(session: Session, now: datetime, grant_id: int, *, by: int | None) -> Grant:
    grant = session.get(Grant, grant_id)
    if grant is None:
        raise NotFound(f"no grant with id {grant_id}")
    if grant.revoked_at is None:
        grant.revoked_at = now
        grant.revoked_by_id = by
    return grant


def grants_of(session: Session, staff_id: int, *, include_ended: bool = False, now: datetime) -> list[Grant]:
    query = select(Grant).where(Grant.staff_id == staff_id).order_by(Grant.id)
    if not include_ended:
        query = query.where(active_clause(now))
    return list(session.scalars(query))


def held_grants(session: Session, staff_id: int, now: datetime) -> tuple[HeldGrant, ...]:
    held: list[HeldGrant] = []
    for grant in grants_of(session, staff_id, now=now):
        permissions = role_permissions(session, grant.role) or frozenset()
        held.append(HeldGrant(grant.id, grant.role, grant.scope, permissions, grant.expires_at, grant.last_used_at))
    return tuple(held)


def record_use(session: Session, now: datetime, used: list[HeldGrant]) -> None:
    """Note when a grant was last used, for the access review's "unused for N days" (hourly precision)."""
    for held in used:
        if held.last_used_at is None or now - held.last_used_at >= _TOUCH_EVERY:
            grant = session.get(Grant, held.grant_id)
            if grant is not None:
                grant.last_used_at = now


def active_clause(now: datetime) -> ColumnElement[bool]:
    return Grant.revoked_at.is_(None) & or_(Grant.expires_at.is_(None), Grant.expires_at > now)
