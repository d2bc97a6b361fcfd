"""Retention schemas, one per direction: holds in and out, sweeps and plan pages out.

Each is also what the services return (no domain twin): a plan line is `custos.retention.plan.PlanLine`
itself, and a sweep's report is its `SweepPublic`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from custos.retention.plan import PlanLine


class HoldCreate(BaseModel):
    """A legal hold on exactly one person (by ref) or one organisation (by id)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    person_ref: str | None = Field(default=None, max_length=36)
    organisation_id: int | None = None
    reason: str = Field(min_length=3, max_length=500, description="why, e.g. the claim or case it preserves")
    starts_on: date | None = Field(default=None, description="first day it applies; defaults to today")
    ends_on: date | None = Field(default=None, description="last day it applies; empty until released")

    @model_validator(mode="after")
    def _one_target(self) -> HoldCreate:
        if (self.person_ref is None) == (self.organisation_id is None):
            raise ValueError("a hold is on exactly one person_ref or one organisation_id")
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        return self


class HoldPublic(BaseModel):
    id: int
    person_ref: str | None
    organisation_id: int | None
    organisation_name: str | None
    reason: str
    starts_on: date
    ends_on: date | None
    created_by: str
    created_at: datetime
    released_at: datetime | None
    released_by: str | None
    active: bool


class SweepPublic(BaseModel):
    id: int
    state: str
    as_of: date
    trigger: str
    actor: str
    started_at: datetime
    finished_at: datetime | None
    planned: int
    erased: int
    trimmed: int
    skipped: int
    held: int
    released: int
    tombstones: int


class PlanPage(BaseModel):
    """A page of the plan as of a day, with the whole plan's counts (`custos.retention.preview.read_plan`)."""

    as_of: date
    people_to_erase: int
    people_to_trim: int
    people_held: int
    items: list[PlanLine]
    limit: int
    offset: int
    total_lines: int = Field(description="lines in the whole plan, for paging")


class TombstonePublic(BaseModel):
    """Proof of one erasure, without personal data: the person's opaque ref, which rules made them due, when,
    and counts of what was removed per system (`custos.retention.models.Tombstone`)."""

    id: int
    sweep_id: int | None = Field(description="the sweep that erased the person; None for an erasure request")
    subject_ref: str
    action: str
    state: str = Field(description="erased | retained_under_law | released")
    retained_until: date | None
    as_of: date
    erased_at: datetime
    counts: dict[str, Any] = Field(description='per system, e.g. {"register": {"person": 1, "identities": 2}}')
    entries: list[dict[str, Any]] = Field(description="per relationship removed: category, activity, rule, due date")


class TombstonePage(BaseModel):
    total: int
    items: list[TombstonePublic]
    limit: int
    offset: int
