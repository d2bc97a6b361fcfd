"""Organisations and the periods they were our customer, supplier or partner.

Whether an organisation "is still a customer" is a fact retention depends on (the policy keeps customer
contacts while the organisation is a customer), so it is derived from dated roles, never a free flag.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from custos.clock import Clock, today
from custos.errors import Conflict, InvalidInput, NotFound, Problem
from custos.register.models import Organisation, OrganisationRole
from custos.register.schemas import OrganisationCreate, OrganisationPublic, RoleSpan


def has_role_on(org: Organisation, role: str, on: date) -> bool:
    return any(
        r.role == role and (r.started_on is None or r.started_on <= on) and (r.ended_on is None or r.ended_on >= on)
        for r in org.roles
    )


def role_ended_on(org: Organisation, role: str, on: date) -> date | None:
    """When the last period of `role` ended, or None if the organisation still holds (or never held) it."""
    spans = [r for r in org.roles if r.role == role]
    if not spans or has_role_on(org, role, on):
        return None
    ends = [r.ended_on for r in spans if r.ended_on is not None]
    return max(ends) if ends else None


def add_organisation(session: Session, clock: Clock, data: OrganisationCreate) -> OrganisationPublic:
    if data.org_number and session.scalar(select(Organisation.id).where(Organisation.org_number == data.org_number)):
        raise Conflict(f"an organisation with number {data.org_number} is already in the register")
    org = Organisation(name=data.name, org_number=data.org_number, created_at=clock.now())
    org.roles = [OrganisationRole(role=r.role, started_on=r.started_on, ended_on=r.ended_on) for r in data.roles]
    session.add(org)
    session.flush()
    return to_public(org, clock)


def get_organisation(session: Session, clock: Clock, org_id: int) -> OrganisationPublic:
    return to_public(load(session, org_id), clock)


def list_organisations(session: Session, clock: Clock, *, limit: int = 50, offset: int = 0) -> list[OrganisationPublic]:
    rows = session.scalars(
        select(Organisation)
        .options(selectinload(Organisation.roles))
        .order_by(Organisation.name)
        .limit(limit)
        .offset(offset)
    )
    return [to_public(o, clock) for o in rows]


def set_role(session: Session, clock: Clock, org_id: int, span: RoleSpan) -> OrganisationPublic:
    """Open a new period of a role, or end the open one (`ended_on` given, `started_on` left out)."""
    org = load(session, org_id)
    open_spans = [r for r in org.roles if r.role == span.role and r.ended_on is None]
    if span.started_on is None and span.ended_on is not None:
        if not open_spans:
            raise Conflict(f"{org.name} has no open {span.role} period to end")
        current = open_spans[-1]
        if current.started_on and span.ended_on < current.started_on:
            raise InvalidInput("the role cannot end before it started", [Problem("ended_on", "before started_on")])
        current.ended_on = span.ended_on
    else:
        if open_spans and span.ended_on is None:
            raise Conflict(f"{org.name} already has an open {span.role} period")
        org.roles.append(OrganisationRole(role=span.role, started_on=span.started_on, ended_on=span.ended_on))
    session.flush()
    return to_public(org, clock)


def load(session: Session, org_id: int) -> Organisation:
    org = session.scalar(
        select(Organisation).where(Organisation.id == org_id).options(selectinload(Organisation.roles))
    )
    if org is None:
        raise NotFound(f"no organisation {org_id} in the register")
    return org


def to_public(org: Organisation, clock: Clock) -> OrganisationPublic:
    return OrganisationPublic(
        id=org.id,
        name=org.name,
        org_number=org.org_number,
        roles=[RoleSpan(role=r.role, started_on=r.started_on, ended_on=r.ended_on) for r in org.roles],
        is_customer=has_role_on(org, "customer", today(clock)),
        created_at=org.created_at,
    )
