"""People in the register. Look-ups by email or phone are POSTed, so addresses never land in access logs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, model_validator

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
from custos.web.deps import RegisterDep, SessionDep

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
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> PeoplePage:
    return PeoplePage(
        items=people.list_people(session, ctx, limit=limit, offset=offset),
        total=people.count_people(session),
        limit=limit,
        offset=offset,
    )


@router.post("", response_model=PersonPublic, status_code=201)
def add_person(data: PersonCreate, session: SessionDep, ctx: RegisterDep) -> PersonPublic:
    return people.add_person(session, ctx, data)


@router.post("/lookup", response_model=PersonPublic)
def lookup(data: PersonLookup, session: SessionDep, ctx: RegisterDep) -> PersonPublic:
    if data.email is not None:
        return people.find_person(session, ctx, "email", data.email)
    if data.phone is not None:
        return people.find_person(session, ctx, "phone", data.phone)
    raise InvalidInput("give exactly one of email or phone")


@router.get("/{ref}", response_model=PersonPublic)
def get_person(ref: str, session: SessionDep, ctx: RegisterDep) -> PersonPublic:
    return people.get_person(session, ctx, ref)


@router.patch("/{ref}", response_model=PersonPublic)
def update_person(ref: str, data: PersonUpdate, session: SessionDep, ctx: RegisterDep) -> PersonPublic:
    return people.update_person(session, ctx, ref, data)


@router.post("/{ref}/relationships", response_model=PersonPublic, status_code=201)
def add_relationship(ref: str, data: RelationshipCreate, session: SessionDep, ctx: RegisterDep) -> PersonPublic:
    return people.add_relationship(session, ctx, ref, data)


@router.patch("/{ref}/relationships/{relationship_id}", response_model=PersonPublic)
def update_relationship(
    ref: str, relationship_id: int, data: RelationshipUpdate, session: SessionDep, ctx: RegisterDep
) -> PersonPublic:
    return people.update_relationship(session, ctx, ref, relationship_id, data)
