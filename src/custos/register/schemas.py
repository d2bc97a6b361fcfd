"""Register schemas, one per direction: what callers send (`*Create`) and what they get (`*Public`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

OrganisationRoleName = Literal["customer", "supplier", "partner"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RoleSpan(_In):
    role: OrganisationRoleName
    started_on: date | None = None
    ended_on: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> RoleSpan:
        if self.started_on and self.ended_on and self.ended_on < self.started_on:
            raise ValueError("ended_on is before started_on")
        return self


class OrganisationCreate(_In):
    name: str = Field(min_length=1, max_length=300)
    org_number: str | None = Field(default=None, max_length=40)
    roles: list[RoleSpan] = Field(default_factory=list)


class OrganisationPublic(BaseModel):
    id: int
    name: str
    org_number: str | None
    roles: list[RoleSpan]
    is_customer: bool
    created_at: datetime


class RelationshipCreate(_In):
    subject_category: str = Field(min_length=1)
    activity: str | None = Field(
        default=None,
        description="Processing activity; may be left out when the policy has only one for the category.",
    )
    organisation_id: int | None = None
    started_on: date | None = None
    ended_on: date | None = None
    last_interaction_on: date | None = None
    collected_on: date | None = Field(default=None, description="Defaults to today.")
    source: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _ordered(self) -> RelationshipCreate:
        if self.started_on and self.ended_on and self.ended_on < self.started_on:
            raise ValueError("ended_on is before started_on")
        return self


class RelationshipUpdate(_In):
    ended_on: date | None = None
    last_interaction_on: date | None = None
    source: str | None = Field(default=None, max_length=500)


class RelationshipPublic(BaseModel):
    id: int
    subject_category: str
    activity: str
    legal_basis: str
    organisation_id: int | None
    organisation_name: str | None
    started_on: date | None
    ended_on: date | None
    last_interaction_on: date | None
    collected_on: date
    source: str | None


class PersonCreate(_In):
    name: str = Field(min_length=1, max_length=300)
    title: str | None = Field(default=None, max_length=300, description="Role or title at the organisation.")
    emails: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)
    relationships: list[RelationshipCreate] = Field(default_factory=list)

    @model_validator(mode="after")
    def _reachable(self) -> PersonCreate:
        if not self.emails and not self.phones:
            raise ValueError("a person needs at least one email address or phone number")
        return self


class PersonUpdate(_In):
    name: str | None = Field(default=None, min_length=1, max_length=300)
    title: str | None = Field(default=None, max_length=300)


class IdentityPublic(BaseModel):
    kind: str
    value: str


class PersonPublic(BaseModel):
    ref: str
    name: str
    title: str | None
    emails: list[str]
    phones: list[str]
    relationships: list[RelationshipPublic]
    created_at: datetime
    updated_at: datetime


class PersonSummary(BaseModel):
    ref: str
    name: str
    subject_categories: list[str]
