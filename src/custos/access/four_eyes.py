"""Grants in force on live data that break four eyes or no escalation: the hook for `custos doctor`.

The services refuse to make such a grant (`custos.access.grants`); this looks at what the database holds, so a
grant written past them (directly in SQL, by an old version, by a bug) is still found (Art. 5(2), 32(1)(d)):

- `unapproved_personal_data_grants`: a grant in force whose role reaches personal data, with no second member's
  approval — none recorded, or "approved" by its grantee or its proposer. `custos init`'s first grant to the
  first administrator is the one exception, recorded as `approval="bootstrap"`.
- `grants_beyond_their_granter`: a grant in force that the member who vouched for it (the approver, or the
  granter where no approval was needed) did not hold, within its scope and for as long, at that moment.

They read as of a given instant (the doctor's, the access review's), so they take that instant with the session
and the policy, not a unit of work's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.access.delegation import shortfall
from custos.access.grants import active_clause, role_permissions
from custos.access.models import Grant, Staff
from custos.access.permissions import ANY_SCOPE, reaches_personal_data
from custos.access.principal import HeldGrant
from custos.policy import Policy


@dataclass(frozen=True)
class GrantBreach:
    """One grant in force that breaks a rule; named by ids only (no personal data)."""

    grant_id: int
    staff_id: int
    role: str
    scope: str
    rule: str  # "unapproved" or "beyond_granter"
    detail: str
    fix: str


def grant_breaches(session: Session, policy: Policy, now: datetime) -> list[GrantBreach]:
    """Both checks, unapproved grants first."""
    return unapproved_personal_data_grants(session, policy, now) + grants_beyond_their_granter(session, policy, now)


def unapproved_personal_data_grants(session: Session, policy: Policy, now: datetime) -> list[GrantBreach]:
    bootstrap = _bootstrap_grant_id(session)
    found: list[GrantBreach] = []
    for grant in session.scalars(select(Grant).where(active_clause(now)).order_by(Grant.id)):
        if not reaches_personal_data(role_permissions(session, grant.role) or frozenset()):
            continue
        why = _why_unapproved(grant, bootstrap)
        if why is not None:
            found.append(
                GrantBreach(
                    grant.id,
                    grant.staff_id,
                    grant.role,
                    grant.scope,
                    "unapproved",
                    f"grant {grant.id} ({grant.role} for {grant.scope!r}) to staff:{grant.staff_id} reaches personal "
                    f"data and {why}",
                    f"revoke it (`custos staff revoke {grant.id}`) and propose it again, so that a second member who "
                    f"holds {grant.role} for {grant.scope!r} approves it",
                )
            )
    return found


def _why_unapproved(grant: Grant, bootstrap: int | None) -> str | None:
    if grant.approval == "bootstrap":
        return None if grant.id == bootstrap else "is marked as the first administrator's grant, which it is not"
    if grant.approval != "required" or grant.decided_by_id is None or grant.decided_at is None:
        return "is in force without a second member's approval"
    if grant.decided_by_id == grant.staff_id:
        return "was approved by its own grantee"
    if grant.decided_by_id == grant.granted_by_id:
        return "was approved by the member who proposed it"
    return None


def _bootstrap_grant_id(session: Session) -> int | None:
    """The one grant `custos init` makes: dpo for everything, to the first administrator, granted by nobody."""
    return session.scalar(
        select(Grant.id)
        .join(Staff, Staff.id == Grant.staff_id)
        .where(
            Staff.is_bootstrap_admin.is_(True),
            Grant.approval == "bootstrap",
            Grant.granted_by_id.is_(None),
            Grant.role == "dpo",
            Grant.scope == ANY_SCOPE,
        )
        .order_by(Grant.id)
        .limit(1)
    )


def grants_beyond_their_granter(session: Session, policy: Policy, now: datetime) -> list[GrantBreach]:
    everything = list(session.scalars(select(Grant).order_by(Grant.id)))
    permissions = {g.id: role_permissions(session, g.role) or frozenset() for g in everything}
    bootstrap = _bootstrap_grant_id(session)
    found: list[GrantBreach] = []
    for grant in session.scalars(select(Grant).where(active_clause(now)).order_by(Grant.id)):
        voucher, at = _voucher(grant)
        if grant.id == bootstrap or (voucher is None and grant.approval == "unrecorded"):
            continue  # the first grant has nobody behind it by design; an unrecorded one names nobody to check
        if voucher is None or at is None:
            detail = f"grant {grant.id} ({grant.role} for {grant.scope!r}) names nobody who granted or approved it"
        else:
            held = _held_at(everything, permissions, voucher, at)
            missing = shortfall(held, permissions[grant.id], grant.scope, grant.expires_at, policy)
            if not missing:
                continue
            detail = (
                f"grant {grant.id} ({grant.role} for {grant.scope!r}) to staff:{grant.staff_id} goes beyond what "
                f"staff:{voucher} held when vouching for it ({at:%Y-%m-%d %H:%M} UTC): {', '.join(missing)}"
            )
        found.append(
            GrantBreach(
                grant.id,
                grant.staff_id,
                grant.role,
                grant.scope,
                "beyond_granter",
                detail,
                f"revoke it (`custos staff revoke {grant.id}`); a member who holds {grant.role} for "
                f"{grant.scope!r} may grant or approve it again",
            )
        )
    return found


def _voucher(grant: Grant) -> tuple[int | None, datetime | None]:
    """Who answered for the grant, and when: its approver where one was needed, otherwise its granter."""
    if grant.approval == "required":
        return grant.decided_by_id, grant.decided_at
    return grant.granted_by_id, grant.granted_at


def _held_at(
    grants: list[Grant], permissions: dict[int, frozenset[str]], staff_id: int, at: datetime
) -> list[HeldGrant]:
    """The grants `staff_id` had in force at `at`. A grant ending at that very instant still counts: the
    services saw it before the change that ended it, and this check must not report what they allowed."""
    held: list[HeldGrant] = []
    for g in grants:
        start = g.decided_at if g.approval == "required" else g.granted_at
        if g.staff_id != staff_id or g.status != "active" or start is None or start > at:
            continue
        if (g.revoked_at is not None and g.revoked_at < at) or (g.expires_at is not None and g.expires_at < at):
            continue
        held.append(HeldGrant(g.id, g.role, g.scope, permissions[g.id], g.expires_at, g.last_used_at))
    return held
