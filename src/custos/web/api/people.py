"""People in the register. Look-ups by email or phone are POSTed, so addresses never land in access logs.

Every route needs a register permission in the `custos` scope (the register is Custos's own data), and every
read or change of a person is audited by ref (Art. 5(2), 32), by the register's services in the request's unit.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from custos.access.principal import Principal
from custos.casework import corrections, listing
from custos.casework.listing import PeopleFilter
from custos.errors import InvalidInput
from custos.register import people
from custos.register.schemas import (
    PersonCreate,
    PersonPublic,
    PersonSummary,
    PersonUpdate,
    RelationshipCreate,
    RelationshipUpdate,
)
from custos.web.auth import Require, WorkDep

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
    work: WorkDep,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> PeoplePage:
    items, total = people.list_page(work, limit=limit, offset=offset)
    return PeoplePage(items=items, total=total, limit=limit, offset=offset)


@router.post("", response_model=PersonPublic, status_code=201)
def add_person(data: PersonCreate, work: WorkDep, principal: Writer) -> PersonPublic:
    return corrections.create_person(work, data)


class PeopleSearch(BaseModel):
    """A search of the list (casework.listing): posted, since `q` may be a name, an email or a phone number."""

    model_config = ConfigDict(extra="forbid")
    q: str = Field(default="", max_length=320)
    category: str = Field(default="", max_length=80)
    organisation: str = Field(default="", max_length=300)
    after: int | None = Field(default=None, ge=0)


class PeopleSearchPage(BaseModel):
    items: list[PersonSummary]
    next_after: int | None


@router.post("/search", response_model=PeopleSearchPage)
def search_people(data: PeopleSearch, work: WorkDep, principal: Reader) -> PeopleSearchPage:
    where = PeopleFilter(category=data.category, organisation=data.organisation, search=data.q.strip())
    page = listing.read_people(work, where, via="api", after=data.after)
    ids = {str(c.name): str(c.id) for c in work.policy.subject_categories}
    items = [
        PersonSummary(ref=r.ref, name=r.name, subject_categories=sorted(ids.get(str(t), str(t)) for t in r.categories))
        for r in page.rows
    ]
    return PeopleSearchPage(items=items, next_after=page.next_after)


@router.post("/lookup", response_model=PersonPublic)
def lookup(data: PersonLookup, work: WorkDep, principal: Reader) -> PersonPublic:
    if data.email is not None:
        return people.look_up(work, "email", data.email)
    if data.phone is not None:
        return people.look_up(work, "phone", data.phone)
    raise InvalidInput("give exactly one of email or phone")


@router.get("/{ref}", response_model=PersonPublic)
def get_person(ref: str, work: WorkDep, principal: Reader) -> PersonPublic:
    return people.read_person(work, ref)


@router.patch("/{ref}", response_model=PersonPublic)
def update_person(ref: str, data: PersonUpdate, work: WorkDep, principal: Writer) -> PersonPublic:
    return corrections.update_person(work, ref, data)


@router.post("/{ref}/relationships", response_model=PersonPublic, status_code=201)
def add_relationship(ref: str, data: RelationshipCreate, work: WorkDep, principal: Writer) -> PersonPublic:
    return corrections.add_relationship(work, ref, data)


@router.patch("/{ref}/relationships/{relationship_id}", response_model=PersonPublic)
def update_relationship(
    ref: str, relationship_id: int, data: RelationshipUpdate, work: WorkDep, principal: Writer
) -> PersonPublic:
    return corrections.update_relationship(work, ref, relationship_id, data)
