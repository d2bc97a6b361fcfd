"""The access review: who holds which grant, since when, unused for how long, and what expires soon.

Least privilege is kept, not just set (Art. 5(2), 24(1), 32(1)(d) "regularly testing, assessing and
evaluating"): the review lists every live grant with what needs a look — grants nobody uses, grants about
to expire, personal-data roles without a second factor, one person holding both account management and
personal data (separation of duties), and — given the policy — grants in force that break four eyes or go
beyond their granter (`custos.access.four_eyes`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import select

from custos.access.four_eyes import grant_breaches
from custos.access.grants import active_clause, role_permissions
from custos.access.models import Grant, Staff
from custos.access.permissions import PERSONAL_DATA
from custos.work import Work

UNUSED_AFTER = timedelta(days=90)
EXPIRING_WITHIN = timedelta(days=14)


class AccessReviewRow(BaseModel):
    grant_id: int
    staff_id: int
    staff_email: str
    staff_name: str
    staff_status: str
    role: str
    scope: str
    granted_at: datetime
    granted_by: str | None
    expires_at: datetime | None
    last_used_at: datetime | None
    unused_days: int
    findings: list[str]


def access_review(
    work: Work, *, unused_after: timedelta = UNUSED_AFTER, expiring_within: timedelta = EXPIRING_WITHIN
) -> list[AccessReviewRow]:
    session, now = work.session, work.clock.now()
    breaches: dict[int, list[str]] = {}
    for breach in grant_breaches(session, work.policy, now):
        breaches.setdefault(breach.grant_id, []).append(
            "four eyes: no second member approved it" if breach.rule == "unapproved" else "beyond its granter"
        )
    grants = list(session.scalars(select(Grant).where(active_clause(now)).order_by(Grant.staff_id, Grant.id)))
    staff = {s.id: s for s in session.scalars(select(Staff))}
    permissions = {g.id: role_permissions(session, g.role) or frozenset() for g in grants}
    held: dict[int, set[str]] = {}
    for g in grants:
        held.setdefault(g.staff_id, set()).update(permissions[g.id])
    rows: list[AccessReviewRow] = []
    for g in grants:
        member = staff[g.staff_id]
        since = g.last_used_at or g.granted_at
        findings: list[str] = []
        if now - since >= unused_after:
            findings.append(f"unused for {(now - since).days} days")
        if g.expires_at is not None and g.expires_at - now <= expiring_within:
            findings.append(f"expires in {max((g.expires_at - now).days, 0)} days")
        if member.status != "active":
            findings.append("account disabled")
        if permissions[g.id] & PERSONAL_DATA and member.totp_enabled_at is None:
            findings.append("personal-data role without a second factor")
        if "staff.manage" in held[g.staff_id] and held[g.staff_id] & PERSONAL_DATA:
            findings.append("separation of duties: manages accounts and sees personal data")
        findings.extend(breaches.get(g.id, []))
        granted_by = staff[g.granted_by_id].email if g.granted_by_id in staff else None
        rows.append(
            AccessReviewRow(
                grant_id=g.id,
                staff_id=member.id,
                staff_email=member.email,
                staff_name=member.name,
                staff_status=member.status,
                role=g.role,
                scope=g.scope,
                granted_at=g.granted_at,
                granted_by=granted_by,
                expires_at=g.expires_at,
                last_used_at=g.last_used_at,
                unused_days=(now - since).days,
                findings=findings,
            )
        )
    return rows
