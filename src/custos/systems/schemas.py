"""Connected-systems schemas, one per direction: `*Update`/`*Confirm` in, `*Public` out."""

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


class SystemPublic(BaseModel):
    id: str
    name: str
    kind: str
    environment: str
    description: str | None
    owner: str | None
    owner_source: str | None
    mapping: str | None
    mapping_status: str
    mapping_error: str | None
    connection: str | None
    connection_set: bool
    masked_url: str | None
    last_status: str | None
    last_operation: str | None
    last_at: datetime | None
    failed: int


class TablePublic(BaseModel):
    table: str
    categories: list[str]
    identity: list[str]
    references: list[str]
    rule: str


class SystemDetailPublic(SystemPublic):
    tables: list[TablePublic]


class RunPublic(BaseModel):
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


class TaskPublic(BaseModel):
    id: int
    system: str
    system_name: str
    subject_ref: str
    cause: str
    operation: str
    state: str
    owner: str | None
    categories: list[str]
    created_at: datetime
    done_at: datetime | None
    done_by: str | None
    done_fields: list[str]
    done_records: int | None


class LookFor(BaseModel):
    emails: list[str]
    phones: list[str]
    external_ids: list[str]


class TaskDetailPublic(TaskPublic):
    look_for: LookFor | None
    note: str | None
