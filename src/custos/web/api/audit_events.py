"""Reading the audit log over HTTP (`audit.read`). Reading it is itself audited (`custos.audit.search.read`): the
events name people by their ref, so a search by subject is a look at that person's history (Art. 5(2), 15(1))."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from custos.access.principal import Principal
from custos.audit.search import AuditFilter, read
from custos.web.auth import Require, WorkDep

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class AuditEventPublic(BaseModel):
    seq: int
    at: datetime
    actor_kind: str
    actor_id: int | None
    actor_label: str
    ip: str | None
    action: str
    subject: str | None
    target: str | None
    purpose: str | None
    reference: str | None
    outcome: str
    details: dict[str, object]
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEventPublic]
    next_after: int | None


@router.get("/events", response_model=AuditPage)
def list_events(
    principal: Annotated[Principal, Require("audit.read")],
    work: WorkDep,
    since: Annotated[datetime | None, Query(description="From this time (inclusive), ISO 8601.")] = None,
    until: Annotated[datetime | None, Query(description="Until this time (exclusive), ISO 8601.")] = None,
    action: Annotated[str | None, Query(description='An action, or an area such as "auth."')] = None,
    actor_kind: Annotated[str | None, Query(pattern="^(staff|token|cli|system|subject)$")] = None,
    actor_id: int | None = None,
    subject: Annotated[str | None, Query(description="A person's ref.")] = None,
    target: Annotated[str | None, Query(description="kind:id, e.g. staff:3")] = None,
    outcome: str | None = None,
    after: Annotated[int, Query(ge=0, description="Continue after this seq.")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    where = AuditFilter(since, until, action, actor_kind, actor_id, subject, target, outcome)
    events = read(work, where, after=after, limit=limit)
    items = [AuditEventPublic.model_validate(e, from_attributes=True) for e in events]
    return AuditPage(items=items, next_after=items[-1].seq if len(items) == limit else None)
