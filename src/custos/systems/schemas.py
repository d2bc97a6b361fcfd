"""Connected-systems schemas, one per direction: `*Update`/`*Confirm` in, `*Public` out.

The `*Public` models are also the services' own views (`custos.systems.inventory`, `custos.systems.tasks`
build them from the rows): the pages render them and the API returns them, so there is one shape to keep.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OwnerUpdate(_In):
    owner: str | None = Field(default=None, max_length=320, description="a staff member's email; null: the policy's")


class TaskConfirm(_In):
    fields: list[str] = Field(min_length=1, max_length=50, description="the fields or records handled")
    records: int | None = Field(default=None, ge=0, description="how many records were changed")
    note: str | None = Field(default=None, max_length=2000, description="what was done, in words")


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class SystemPublic(_Out):
    id: str
    name: str
    kind: str
    environment: str
    description: str | None
    owner: str | None
    owner_source: str | None  # policy | admin | None
    owner_problem: str | None  # why nobody can do its tasks (`custos.systems.ownership.PROBLEMS`); None: fine
    mapping: str | None  # the path as written in the policy
    mapping_status: str  # ok | missing | invalid | none (its kind has no mapping)
    mapping_error: str | None
    connection: str | None  # the environment variable's name, never its value
    connection_set: bool
    masked_url: str | None
    last_status: str | None
    last_operation: str | None
    last_at: datetime | None
    failed: int  # runs whose latest attempt failed


class TablePublic(_Out):
    table: str
    categories: list[str]
    identity: list[str]  # "column (kind)"
    references: list[str]  # "column → table.column"
    rule: str  # what erasure does here, in words


class SystemDetailPublic(SystemPublic):
    tables: list[TablePublic]


class RunPublic(_Out):
    id: int
    system: str
    subject_ref: str
    cause: str
    operation: str
    status: str
    counts: dict[str, Any]
    kept: list[dict[str, Any]]
    error: str | None
    attempts: int
    task_id: int | None
    started_at: datetime
    finished_at: datetime


class TaskPublic(_Out):
    id: int
    system: str
    system_name: str
    subject_ref: str
    cause: str
    operation: str
    state: str
    owner: str | None
    categories: list[str]  # for an erasure: what to erase, never a category in `kept`
    created_at: datetime
    done_at: datetime | None
    done_by: str | None
    done_fields: list[str]
    done_records: int | None
    # An erasure's categories to keep, one line each: {category, laws, claims, grounds, until} (Art. 17(3)).
    kept: list[dict[str, Any]] = Field(default_factory=list)


class LookFor(_Out):
    emails: list[str]
    phones: list[str]
    external_ids: list[str]


class TaskDetailPublic(TaskPublic):
    look_for: LookFor | None
    note: str | None
