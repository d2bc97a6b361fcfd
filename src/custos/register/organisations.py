"""Organisations and the periods they were our customer, supplier or partner.

Whether an organisation "is still a customer" is a fact retention depends on (the policy keeps customer
contacts while the organisation is a customer), so it is derived from dated roles, never a free flag.

`add_organisation`, `set_role` and the look-ups are the unaudited building blocks (the demo and the importer's
kin use them); the changes staff and integrations make go through `create_organisation`, `add_role` and
`update_role`, which audit them in the same unit, since the end of a customer role starts the retention clock
of its contacts. The people of an organisation with their due dates, and ending a role after showing what it
changes, judge retention, so they live above it (`casework.organisation_people`).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from custos.audit.actions import Action
from custos.clock import Clock, today
from custos.errors import Conflict, InvalidInput, NotFound, Problem
from custos.register.models import Organisation, OrganisationRole
from custos.register.schemas import OrganisationCreate, OrganisationPublic, RoleSpan
from custos.work import Work


def has_role_on(org: Organisation, role: str, on: date) -> bool:
    return any(
        r.role == role and (r.started_on is None or r.started_on <= on) and (r.ended_on is None or r.ended_on >= on)
        for r in org.roles
    )


def organisations_with_role(role: str, on: date) -> Select[int]:
    """Ids of organisations holding `role` on `on`, as a query: the same reading as `has_role_on`."""
    return select(OrganisationRole.organisation_id).where(
        OrganisationRole.role == role,
        (OrganisationRole.started_on.is_(None)) | (OrganisationRole.started_on <= on),
        (OrganisationRole.ended_on.is_(None)) | (OrganisationRole.ended_on >= on),
    )


def role_ended_on(org: Organisation, role: str, on: date) -> date | None:
    """When the last period of `role` ended, or None if the organisation still holds (or never held) it."""
    spans = [r for r in org.roles if r.role == role]
    if not spans or has_role_on(org, role, on):
        return None
    ends = [r.ended_on for r in spans if r.ended_on is not None]
    return max(ends) if ends else None


def add_organisation(work: Work, data: OrganisationCreate) -> OrganisationPublic:
    session = work.session
    if data.org_number and session.scalar(select(Organisation.id).where(Organisation.org_number == data.org_number)):
        raise Conflict(f"an organisation with number {data.org_number} is already in the register")
    org = Organisation(name=data.name, org_number=data.org_number, created_at=work.clock.now())
    org.roles = [OrganisationRole(role=r.role, started_on=r.started_on, ended_on=r.ended_on) for r in data.roles]
    session.add(org)
    session.flush()
    return to_public(org, work.clock)


def create_organisation(work: Work, data: OrganisationCreate) -> OrganisationPublic:
    org = add_organisation(work, data)
    work.audit(
        Action.ORGANISATION_CREATE, target=f"organisation:{org.id}", details={"roles": [r.role for r in org.roles]}
    )
    return org


def get_organisation(work: Work, org_id: int) -> OrganisationPublic:
    return to_public(load(work.session, org_id), work.clock)


def list_organisations(work: Work, *, limit: int = 50, offset: int = 0) -> list[OrganisationPublic]:
    rows = work.session.scalars(
        select(Organisation)
        .options(selectinload(Organisation.roles))
        .order_by(Organisation.name)
        .limit(limit)
        .offset(offset)
    )
    return [to_public(o, work.clock) for o in rows]


def set_role(work: Work, org_id: int, span: RoleSpan) -> OrganisationPublic:
    """Open a new period of a role, or end the open one (`ended_on` given, `started_on` left out)."""
    org = load(work.session, org_id)
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
    work.session.flush()
    return to_public(org, work.clock)


def update_role(work: Work, org_id: int, span: RoleSpan) -> OrganisationPublic:
    """`set_role` as the API asks for it: audited with the role and the fields sent."""
    org = set_role(work, org_id, span)
    details = {"role": span.role, "fields": sorted(span.model_fields_set)}
    work.audit(Action.ORGANISATION_UPDATE, target=f"organisation:{org_id}", details=details)
    return org


def add_role(work: Work, org_id: int, span: RoleSpan) -> OrganisationPublic:
    """A new period of a role, from the admin's form; audited with the period."""
    org = set_role(work, org_id, span)
    work.audit(Action.ORGANISATION_ROLE_ADD, target=f"organisation:{org_id}", details=span.model_dump(mode="json"))
    return org


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


# ---------------------------------------------------------------- the admin's organisation pages

ROLES = ("customer", "supplier", "partner")


def _holds_role_on(role: str, on: date) -> ColumnElement[bool]:
    """SQL: the organisation holds `role` on `on` (a period that has started and not ended by then)."""
    return exists().where(
        OrganisationRole.organisation_id == Organisation.id,
        OrganisationRole.role == role,
        or_(OrganisationRole.started_on.is_(None), OrganisationRole.started_on <= on),
        or_(OrganisationRole.ended_on.is_(None), OrganisationRole.ended_on >= on),
    )


def search_organisations(
    work: Work,
    *,
    name: str | None = None,
    role: str | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> tuple[list[OrganisationPublic], int]:
    """Organisations by part of their name or number, and by a role they hold today; one page and the total.

    Names and numbers of organisations are not personal data, so they are searched in clear text."""
    session, clock = work.session, work.clock
    on = today(clock)
    query = select(Organisation)
    if name:
        query = query.where(
            or_(Organisation.name.icontains(name, autoescape=True), Organisation.org_number == name.strip())
        )
    if role:
        if role not in ROLES:
            raise InvalidInput(f"unknown role {role!r}", [Problem("role", f"one of: {', '.join(ROLES)}")])
        query = query.where(_holds_role_on(role, on))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = query.options(selectinload(Organisation.roles)).order_by(Organisation.name, Organisation.id).offset(offset)
    if limit is not None:
        page = page.limit(limit)
    return [to_public(o, clock) for o in session.scalars(page)], total


def export_organisations(work: Work, *, name: str | None = None, role: str | None = None) -> list[OrganisationPublic]:
    """Every organisation the filters find, audited like every export from the admin (their names and numbers
    are not personal data, but what left Custos is on record)."""
    rows, total = search_organisations(work, name=name, role=role, limit=None)
    work.audit(
        Action.ORGANISATION_EXPORT,
        target="organisations:list",
        details={"count": total, "searched": bool(name), "role": role or ""},
    )
    return rows
