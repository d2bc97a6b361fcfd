"""Building small registers for selection and mailing tests, through the register's own services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.actor import Actor
from custos.register import organisations, people
from custos.register.models import Person
from custos.register.restriction import restrict
from custos.register.schemas import OrganisationCreate, PersonCreate, RelationshipCreate, RoleSpan
from custos.register.suppression import suppress
from custos.runtime import Runtime
from custos.work import Work

ACTOR = Actor(kind="cli", id=None, label="cli:test")
# Categories the example policy covers with more than one activity need the activity named.
ACTIVITY = {"supplier_contact": "supplier-contacts", "partner_contact": "partner-contacts", "employee": "employment"}


@dataclass
class Built:
    """Person ids by what the test made of them."""

    ids: dict[str, int] = field(default_factory=dict)
    restricted: set[int] = field(default_factory=set)
    suppressed: set[int] = field(default_factory=set)


def add_org(session: Session, ctx: Runtime, name: str, *, ended: date | None = None, role: str = "customer") -> int:
    span = RoleSpan(role=role, started_on=date(2020, 1, 1), ended_on=ended)  # type: ignore[arg-type]
    return organisations.add_organisation(work_on(session, ctx), OrganisationCreate(name=name, roles=[span])).id


def add_contact(
    session: Session,
    ctx: Runtime,
    email: str | None,
    *,
    category: str = "customer_contact",
    organisation_id: int | None = None,
    phone: str | None = None,
    ended_on: date | None = None,
) -> tuple[str, int]:
    """A person with one relationship; `ended_on` ends the person's own role (the organisation keeps its own)."""
    ref = people.add_person(
        work_on(session, ctx),
        PersonCreate(
            name=f"Person {email or phone}",
            emails=[email] if email else [],
            phones=[phone] if phone else [],
            relationships=[
                RelationshipCreate(
                    subject_category=category,
                    activity=ACTIVITY.get(category),
                    organisation_id=organisation_id,
                    ended_on=ended_on,
                )
            ],
        ),
    ).ref
    return ref, int(session.scalar(select(Person.id).where(Person.ref == ref)) or 0)


def restrict_person(session: Session, ctx: Runtime, ref: str) -> None:
    restrict(work_on(session, ctx), ref, reason="accuracy contested")


def suppress_email(session: Session, ctx: Runtime, email: str) -> None:
    suppress(work_on(session, ctx), email=email, source="test")


def work_on(session: Session, ctx: Runtime) -> Work:
    """A unit on the test's own transaction, by the test's actor."""
    return Work(session=session, clock=ctx.clock, keys=ctx.keys, policy=ctx.policy, actor=ACTOR)
