"""People in the register. Look-ups by email or phone are POSTed, so addresses never land in access logs.

Every route needs a register permission in the `custos` scope (the register is Custos's own data), and every
read or change of a person is audited by ref (Art. 5(2), 32).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from custos import audit
from custos.access.principal import Principal
from custos.errors import InvalidInput
from custos.register import listing, people
from custos.register.listing import PeopleFilter, record_list
from custos.register.schemas import (
    PersonCreate,
    PersonPublic,
    PersonSummary,
    PersonUpdate,
    RelationshipCreate,
    RelationshipUpdate,
)
from custos.web.auth import Require
from custos.web.deps import RegisterDep, SessionDep

Reader = Annotated[Principal, Require("register.read")]
Writer = Annotated[Principal, Require("register.write")]

router = APIRouter(prefix="/api/v1/people", tags=["people"])


class PersonLookup(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str | None = None
    phone: str | None = None

    @model_validator(mode="after")
    def _one(self) -> PersonLookup:
        if (self.email is None) == (self.phone is None):
            raise ValueError("give exactly one of email or phone")
        return self


class PeoplePage(BaseModel):
    items: list[PersonSummary]
    total: int
    limit: int
    offset: int


@router.get("", response_model=PeoplePage)
def list_people(
    session: SessionDep,
    ctx: RegisterDep,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> PeoplePage:
    items = people.list_people(session, ctx, limit=limit, offset=offset)
    # A list shows names, so it is a read of each person on it; refs go in batches the audit log accepts.
    record_list(session, ctx.clock, principal.actor, [p.ref for p in items], offset=offset, details={"limit": limit})
    return PeoplePage(items=items, total=people.count_people(session), limit=limit, offset=offset)


@router.post("", response_model=PersonPublic, status_code=201)
def add_person(data: PersonCreate, session: SessionDep, ctx: RegisterDep, principal: Writer) -> PersonPublic:
    person = people.add_person(session, ctx, data)
    audit.record(session, ctx.clock, principal.actor, "person.create", subject=person.ref)
    return person


class PeopleSearch(BaseModel):
    """A search of the list (register.listing): posted, since `q` may be a name, an email or a phone number."""

    model_config = ConfigDict(extra="forbid")
    q: str = Field(default="", max_length=320)
    category: str = Field(default="", max_length=80)
    organisation: str = Field(default="", max_length=300)
    after: int | None = Field(default=None, ge=0)


class PeopleSearchPage(BaseModel):
    items: list[PersonSummary]
    next_after: int | None


@router.post("/search", response_model=PeopleSearchPage)
def search_people(data: PeopleSearch, session: SessionDep, ctx: RegisterDep, principal: Reader) -> PeopleSearchPage:
    where = PeopleFilter(category=data.category, organisation=data.organisation, search=data.q.strip())
    page = listing.list_people(session, ctx, where, after=data.after)
    refs = [row.ref for row in page.rows]
    record_list(session, ctx.clock, principal.actor, refs, details={"filters": where.used(), "via": "api"})
    ids = {str(c.name): str(c.id) for c in ctx.policy.subject_categories}
    items = [
        PersonSummary(ref=r.ref, name=r.name, subject_categories=sorted(ids.get(str(t), str(t)) for t in r.categories))
        for r in page.rows
    ]
    return PeopleSearchPage(items=items, next_after=page.next_after)


@router.post("/lookup", response_model=PersonPublic)
def lookup(data: PersonLookup, session: SessionDep, ctx: RegisterDep, principal: Reader) -> PersonPublic:
    if data.email is not None:
        person, via = people.find_person(session, ctx, "email", data.email), "email"
    elif data.phone is not None:
        person, via = people.find_person(session, ctx, "phone", data.phone), "phone"
    else:
        raise InvalidInput("give exactly one of email or phone")
    audit.record(session, ctx.clock, principal.actor, "person.read", subject=person.ref, details={"via": via})
    return person


@router.get("/{ref}", response_model=PersonPublic)
def get_person(ref: str, session: SessionDep, ctx: RegisterDep, principal: Reader) -> PersonPublic:
    person = people.get_person(session, ctx, ref)
    audit.record(session, ctx.clock, principal.actor, "person.read", subject=person.ref)
    return person


@router.patch("/{ref}", response_model=PersonPublic)
def update_person(
    ref: str, data: PersonUpdate, session: SessionDep, ctx: RegisterDep, principal: Writer
) -> PersonPublic:
    person = people.update_person(session, ctx, ref, data)
    # Art. 16: the correction is audited by field name, never by value.
    fields = sorted(data.model_fields_set)
    audit.record(session, ctx.clock, principal.actor, "person.update", subject=person.ref, details={"fields": fields})
    return person


@router.post("/{ref}/relationships", response_model=PersonPublic, status_code=201)
def add_relationship(
    ref: str, data: RelationshipCreate, session: SessionDep, ctx: RegisterDep, principal: Writer
) -> PersonPublic:
    person = people.add_relationship(session, ctx, ref, data)
    details = {"subject_category": data.subject_category, "activity": data.activity}
    audit.record(session, ctx.clock, principal.actor, "relationship.create", subject=person.ref, details=details)
    return person


@router.patch("/{ref}/relationships/{relationship_id}", response_model=PersonPublic)
def update_relationship(
    ref: str, relationship_id: int, data: RelationshipUpdate, session: SessionDep, ctx: RegisterDep, principal: Writer
) -> PersonPublic:
    person = people.update_relationship(session, ctx, ref, relationship_id, data)
    audit.record(
        session,
        ctx.clock,
        principal.actor,
        "relationship.update",
        subject=person.ref,
        target=f"relationship:{relationship_id}",
        details={"fields": sorted(data.model_fields_set)},
    )
    return person
