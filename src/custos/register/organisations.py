"""Organisations and the periods they were our customer, supplier or partner.

Whether an organisation "is still a customer" is a fact retention depends on (the policy keeps customer
contacts while the organisation is a customer), so it is derived from dated roles, never a free flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from custos.clock import Clock, today
from custos.errors import Conflict, InvalidInput, NotFound, Problem
from custos.register.context import RegisterContext
from custos.register.models import Organisation, OrganisationRole, Person, Relationship
from custos.register.people import NAME
from custos.register.schemas import OrganisationCreate, OrganisationPublic, RoleSpan
from custos.retention.facts import RelationshipRow
from custos.retention.rules import CompiledPolicy
from custos.retention.verdict import judge_relationship


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
    session: Session,
    clock: Clock,
    *,
    name: str | None = None,
    role: str | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> tuple[list[OrganisationPublic], int]:
    """Organisations by part of their name or number, and by a role they hold today; one page and the total.

    Names and numbers of organisations are not personal data, so they are searched in clear text."""
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


@dataclass(frozen=True)
class OrganisationPerson:
    """A person's relationship through the organisation, with the day it falls due under the policy."""

    ref: str
    name: str
    subject_category: str
    activity: str
    started_on: date | None
    ended_on: date | None
    due_on: date | None


def _spans(org: Organisation) -> list[tuple[str, date | None, date | None]]:
    return [(r.role, r.started_on, r.ended_on) for r in org.roles]


def _rows(org_id: int) -> Select[Relationship, str, bytes]:
    return (
        select(Relationship, Person.ref, Person.name_enc)
        .join(Person, Person.id == Relationship.person_id)
        .where(Relationship.organisation_id == org_id)
        .order_by(Relationship.id)
    )


def _row(rel: Relationship) -> RelationshipRow:
    return RelationshipRow(
        rel.id,
        rel.person_id,
        rel.subject_category,
        rel.activity,
        rel.organisation_id,
        rel.started_on,
        rel.ended_on,
        rel.last_interaction_on,
        rel.collected_on,
    )


def people_of(
    session: Session, ctx: RegisterContext, org_id: int, *, limit: int = 50, offset: int = 0
) -> tuple[list[OrganisationPerson], int]:
    """One page of the relationships that hang on the organisation, names decrypted (the caller audits the
    read as `person.list`), and how many there are."""
    org = load(session, org_id)
    rules, on, spans = CompiledPolicy.of(ctx.policy), today(ctx.clock), _spans(org)
    total = (
        session.scalar(select(func.count()).select_from(Relationship).where(Relationship.organisation_id == org_id))
        or 0
    )
    found = []
    for rel, ref, name_enc in session.execute(_rows(org_id).limit(limit).offset(offset)):
        verdict = judge_relationship(rules, _row(rel), spans, on, False)
        found.append(
            OrganisationPerson(
                ref=ref,
                name=ctx.keys.decrypt(name_enc, NAME),
                subject_category=rel.subject_category,
                activity=rel.activity,
                started_on=rel.started_on,
                ended_on=rel.ended_on,
                due_on=verdict.due_on,
            )
        )
    return found, total


def due_changes_if_ended(session: Session, ctx: RegisterContext, org_id: int, role: str, ended_on: date) -> int:
    """How many people on the organisation would get another due date if its open `role` period ended on
    `ended_on` (ending a customer role starts the clock of its contacts' retention). Nothing is written."""
    org = load(session, org_id)
    rules, on, before = CompiledPolicy.of(ctx.policy), today(ctx.clock), _spans(org)
    open_spans = [i for i, r in enumerate(org.roles) if r.role == role and r.ended_on is None]
    if not open_spans:
        return 0
    after = list(before)
    last = open_spans[-1]
    after[last] = (role, before[last][1], ended_on)
    changed: set[int] = set()
    for rel in session.scalars(select(Relationship).where(Relationship.organisation_id == org_id)):
        row = _row(rel)
        was = judge_relationship(rules, row, before, on, False).due_on
        becomes = judge_relationship(rules, row, after, on, False).due_on
        if was != becomes:
            changed.add(rel.person_id)
    return len(changed)
