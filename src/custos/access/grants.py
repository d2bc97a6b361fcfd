"""Roles and grants: staff x role x scope, with an optional expiry, who granted it, and when it was revoked.

Every grant and revocation is kept (revoked grants are not deleted) and audited, so the access review and
the authority can see who could do what on any day (Art. 5(2), 24, 32).

No escalation and four eyes (Art. 32(4), `custos.access.delegation`): a grant takes effect at once only when
its role reaches no personal data and the granter holds all of it within its scope for as long. Otherwise it
is a proposal ("pending"): it gives nothing until a second member — not the grantee, not the proposer — who
holds the role within that scope for as long approves it, within `PENDING_FOR`. A custom role is defined only
from permissions its author holds.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from custos.access.delegation import PENDING_FOR, needs_four_eyes, principal_shortfall, shortfall
from custos.access.models import Grant, Role, Staff
from custos.access.permissions import BUILTIN_ROLES, PERMISSIONS, reaches_personal_data, valid_scopes
from custos.access.principal import HeldGrant, Principal
from custos.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem, SecondFactorRequired
from custos.work import Work

_ROLE_NAME = re.compile(r"[a-z][a-z0-9_]{1,59}")
# Last use is written at most this often, so a busy session does not write on every request.
_TOUCH_EVERY = timedelta(hours=1)


def role_permissions(session: Session, name: str) -> frozenset[str] | None:
    """A role's permissions (None: no such role). A lookup beneath the services (the live checks of
    `custos.access.four_eyes` use it too), so it takes the session it reads from."""
    if name in BUILTIN_ROLES:
        return BUILTIN_ROLES[name].permissions
    role = session.scalar(select(Role).where(Role.name == name))
    return frozenset(role.permissions) if role is not None else None


def all_roles(work: Work) -> list[tuple[str, str, frozenset[str], bool]]:
    """(name, description, permissions, built_in) for every role, built-in first."""
    rows = [(r.name, r.description, r.permissions, True) for r in BUILTIN_ROLES.values()]
    for role in work.session.scalars(select(Role).order_by(Role.name)):
        rows.append((role.name, role.description, frozenset(role.permissions), False))
    return rows


def define_role(
    work: Work,
    *,
    name: str,
    description: str,
    permissions: list[str],
    by: Principal,
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
    # No escalation through a custom role: its author holds each of its permissions (in some scope), or it
    # could bundle a personal-data permission its author was never given. Granting it is checked again.
    missing = sorted(set(permissions) - by.permissions())
    if missing:
        raise PermissionDenied(f"You cannot define a role with permissions you do not hold: {', '.join(missing)}.")
    session = work.session
    if session.scalar(select(Role.id).where(Role.name == name)) is not None:
        raise Conflict(f"a role named {name!r} already exists")
    role = Role(
        name=name,
        description=description,
        permissions=sorted(set(permissions)),
        created_by_id=by.staff_id,
        created_at=work.clock.now(),
    )
    session.add(role)
    session.flush()
    return role


def grant_role(
    work: Work,
    *,
    staff_id: int,
    role: str,
    scope: str,
    expires_at: datetime | None,
    by: Principal,
) -> Grant:
    """A grant in force at once, or a proposal waiting for a second member (`status == "pending"`)."""
    session, policy, now = work.session, work.policy, work.clock.now()
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise NotFound(f"no staff member with id {staff_id}")
    # Nobody raises their own privileges: a grant always needs a second person (separation of duties).
    if by.staff_id == staff_id:
        raise PermissionDenied("You cannot grant a role to yourself; ask another administrator.")
    problems: list[Problem] = []
    permissions = role_permissions(session, role)
    if permissions is None:
        names = ", ".join(name for name, *_ in all_roles(work))
        problems.append(Problem("role", f"unknown role {role!r}", hint=f"use one of: {names}"))
    scopes = valid_scopes(policy)
    if scope not in scopes:
        problems.append(Problem("scope", f"unknown scope {scope!r}", hint=f"use one of: {', '.join(sorted(scopes))}"))
    if expires_at is not None and expires_at <= now:
        problems.append(Problem("expires_at", "the expiry is in the past"))
    if problems or permissions is None:
        raise InvalidInput("the grant is not valid", problems)
    if staff.status != "active":
        raise Conflict("the staff member is disabled; enable the account first")
    duplicate = session.scalar(
        select(Grant.id).where(
            Grant.staff_id == staff_id,
            Grant.role == role,
            Grant.scope == scope,
            active_clause(now) | pending_clause(now),
        )
    )
    if duplicate is not None:
        raise Conflict(f"the staff member already holds or awaits {role} for {scope!r} (grant {duplicate})")
    why = needs_four_eyes(permissions, principal_shortfall(by, permissions, scope, expires_at, policy))
    grant = Grant(
        staff_id=staff_id,
        role=role,
        scope=scope,
        granted_by_id=by.staff_id,
        granted_at=now,
        expires_at=expires_at,
        status="pending" if why else "active",
        approval="required" if why else "not_required",
        pending_until=now + PENDING_FOR if why else None,
    )
    session.add(grant)
    session.flush()
    return grant


def four_eyes_reason(work: Work, grant: Grant, proposer: Principal) -> str | None:
    """Why `grant` waits for approval ("personal_data" or "beyond_granter"), for messages and the audit log."""
    if grant.status != "pending":
        return None
    permissions = role_permissions(work.session, grant.role) or frozenset()
    return needs_four_eyes(
        permissions, principal_shortfall(proposer, permissions, grant.scope, grant.expires_at, work.policy)
    )


def _pending(session: Session, now: datetime, grant_id: int) -> Grant:
    grant = session.get(Grant, grant_id)
    if grant is None:
        raise NotFound(f"no grant with id {grant_id}")
    state = grant_state(grant, now)
    if state == "lapsed":
        assert grant.pending_until is not None
        raise Conflict(
            f"grant {grant_id} was not approved by {grant.pending_until:%Y-%m-%d %H:%M} UTC and has lapsed; "
            "propose it again"
        )
    if state != "pending":
        raise Conflict(f"grant {grant_id} is not waiting for approval (it is {state})")
    return grant


def approve_grant(work: Work, grant_id: int, *, by: Principal) -> Grant:
    """Put a proposed grant in force: four eyes, the second pair being `by`."""
    grant = check_approval(work, grant_id, by=by)
    grant.status = "active"
    grant.decided_by_id = by.staff_id
    grant.decided_at = work.clock.now()
    return grant


def check_approval(work: Work, grant_id: int, *, by: Principal) -> Grant:
    """The grant, if `by` may approve it now; raises why not. Changes nothing (the CLI asks it before
    checking the approver's password and code, so a refusal on the merits costs no login attempt)."""
    session, now = work.session, work.clock.now()
    grant = _pending(session, now, grant_id)
    if grant.expires_at is not None and grant.expires_at <= now:
        raise Conflict(f"grant {grant_id} would already have ended ({grant.expires_at:%Y-%m-%d}); propose it again")
    # The second pair of eyes is a person who proved who they are now: not an integration's token, and not
    # a command line whose `--as` is only declared (the CLI asks for the password and code first).
    if by.via == "token":
        raise PermissionDenied("An API token cannot approve a grant; a person approves it, logged in.")
    if not by.second_factor:
        raise SecondFactorRequired("Approving a grant needs your password and authenticator code.")
    if by.staff_id == grant.staff_id:
        raise PermissionDenied("You cannot approve a grant to yourself; a second person must approve it.")
    if by.staff_id == grant.granted_by_id:
        raise PermissionDenied("You proposed this grant; a second person must approve it (four eyes).")
    staff = session.get(Staff, grant.staff_id)
    if staff is None or staff.status != "active":
        raise Conflict("the staff member is disabled; enable the account first")
    permissions = role_permissions(session, grant.role) or frozenset()
    if reaches_personal_data(permissions) and not is_set_up(staff):
        # Until the member chose their own password, whoever added the account knows its one-time password
        # (the issue-13 walk-around): approving now could open personal data to that person instead.
        raise Conflict(
            f"{staff.email} has not set up the account yet (their own password and an authenticator app); "
            "ask them to log in first, then approve"
        )
    missing = shortfall(by.grants, permissions, grant.scope, grant.expires_at, work.policy)
    if missing:
        raise PermissionDenied(
            f"Only a member who holds {grant.role} for {grant.scope!r} (every permission of it, for as long as "
            f"the grant lasts) can approve it; you lack {', '.join(missing)}."
        )
    return grant


def reject_grant(work: Work, grant_id: int, *, by: Principal) -> Grant:
    """Turn a proposal down: its proposer (withdrawing it) or a member who could approve it."""
    now = work.clock.now()
    grant = _pending(work.session, now, grant_id)
    if by.staff_id == grant.staff_id:
        raise PermissionDenied("You cannot decide a grant to yourself.")
    if by.staff_id != grant.granted_by_id:
        permissions = role_permissions(work.session, grant.role) or frozenset()
        if shortfall(by.grants, permissions, grant.scope, grant.expires_at, work.policy):
            raise PermissionDenied(
                f"Only the proposer or a member who holds {grant.role} for {grant.scope!r} can reject it."
            )
    grant.status = "rejected"
    grant.decided_by_id = by.staff_id
    grant.decided_at = now
    return grant


def is_set_up(staff: Staff) -> bool:
    """Whether the member chose their own password and enrolled an authenticator (their first login)."""
    return not staff.must_change_password and staff.totp_enabled_at is not None


def may_decide(work: Work, grant: Grant, principal: Principal) -> bool:
    """Whether `principal` could approve `grant` (for showing the Approve button; the service decides)."""
    if principal.staff_id in (grant.staff_id, grant.granted_by_id) or principal.via == "token":
        return False
    permissions = role_permissions(work.session, grant.role) or frozenset()
    staff = work.session.get(Staff, grant.staff_id)
    if staff is None or (reaches_personal_data(permissions) and not is_set_up(staff)):
        return False
    return not shortfall(principal.grants, permissions, grant.scope, grant.expires_at, work.policy)


def revoke_grant(work: Work, grant_id: int, *, by: int | None) -> Grant:
    grant = work.session.get(Grant, grant_id)
    if grant is None:
        raise NotFound(f"no grant with id {grant_id}")
    if grant.revoked_at is None:
        grant.revoked_at = work.clock.now()
        grant.revoked_by_id = by
    return grant


def grants_of(work: Work, staff_id: int, *, include_ended: bool = False) -> list[Grant]:
    """The grants in force; with `include_ended`, every grant ever made or proposed, pending ones included."""
    return _grants_of(work.session, staff_id, work.clock.now(), include_ended=include_ended)


def _grants_of(session: Session, staff_id: int, now: datetime, *, include_ended: bool = False) -> list[Grant]:
    query = select(Grant).where(Grant.staff_id == staff_id).order_by(Grant.id)
    if not include_ended:
        query = query.where(active_clause(now))
    return list(session.scalars(query))


def held_grants(session: Session, staff_id: int, now: datetime) -> tuple[HeldGrant, ...]:
    """What a member holds at `now`. It resolves who acts (`custos.access.identify`), before there is a unit
    of work with an actor, so it takes the session it reads from."""
    held: list[HeldGrant] = []
    for grant in _grants_of(session, staff_id, now):
        permissions = role_permissions(session, grant.role) or frozenset()
        held.append(HeldGrant(grant.id, grant.role, grant.scope, permissions, grant.expires_at, grant.last_used_at))
    return tuple(held)


def record_use(work: Work, used: list[HeldGrant]) -> None:
    """Note when a grant was last used, for the access review's "unused for N days" (hourly precision)."""
    now = work.clock.now()
    for held in used:
        if held.last_used_at is None or now - held.last_used_at >= _TOUCH_EVERY:
            grant = work.session.get(Grant, held.grant_id)
            if grant is not None:
                grant.last_used_at = now


def pending_grants(work: Work, *, staff_id: int | None = None) -> list[Grant]:
    """Proposals still waiting for approval, oldest first."""
    query = select(Grant).where(pending_clause(work.clock.now())).order_by(Grant.granted_at, Grant.id)
    if staff_id is not None:
        query = query.where(Grant.staff_id == staff_id)
    return list(work.session.scalars(query))


def grant_state(grant: Grant, now: datetime) -> str:
    """pending, lapsed (not approved in time), rejected, revoked, expired or active."""
    if grant.revoked_at is not None and grant.revoked_at <= now:
        return "revoked"
    if grant.status == "rejected":
        return "rejected"
    if grant.status == "pending":
        return "pending" if grant.pending_until is not None and grant.pending_until > now else "lapsed"
    if grant.expires_at is not None and grant.expires_at <= now:
        return "expired"
    return "active"


def active_clause(now: datetime) -> ColumnElement[bool]:
    """In force: approved (or needing no approval), not revoked, not expired. A proposal gives nothing."""
    return (
        (Grant.status == "active")
        & Grant.revoked_at.is_(None)
        & or_(Grant.expires_at.is_(None), Grant.expires_at > now)
    )


def pending_clause(now: datetime) -> ColumnElement[bool]:
    return (Grant.status == "pending") & Grant.revoked_at.is_(None) & (Grant.pending_until > now)
