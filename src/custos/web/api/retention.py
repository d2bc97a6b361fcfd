"""Retention over HTTP: the plan, legal holds, sweeps, tombstones. `retention.read` to look, `retention.run` to act.

A sweep is not run inside the request: POST /sweeps makes the daily sweep job due now, and the next tick of
a worker (the thread in `custos serve`, or `custos worker`) runs it — a job is only a wake-up.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from custos import audit
from custos.access.principal import Principal
from custos.clock import today
from custos.jobs.registry import RETENTION_SWEEP, scheduler_for
from custos.retention import holds
from custos.retention.history import recent_sweeps
from custos.retention.plan import iter_plan, plan_lines
from custos.retention.rules import CompiledPolicy
from custos.retention.schemas import (
    HoldCreate,
    HoldPublic,
    PlanLinePublic,
    PlanPage,
    SweepPublic,
    TombstonePage,
    TombstonePublic,
)
from custos.retention.tombstones import MAX_PAGE, get_tombstone, list_tombstones
from custos.web.auth import Require
from custos.web.deps import RuntimeDep, SessionDep

Reader = Annotated[Principal, Require("retention.read")]
Runner = Annotated[Principal, Require("retention.run")]

router = APIRouter(prefix="/api/v1/retention", tags=["retention"])


class SweepWake(BaseModel):
    job: str
    due_at: datetime


@router.get("/plan", response_model=PlanPage)
def plan(
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Reader,
    at: Annotated[date | None, Query(description="Plan as of this day; default today.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> PlanPage:
    on = at or today(runtime.clock)
    counts = {"erase": 0, "trim": 0, "keep": 0}
    items: list[PlanLinePublic] = []
    index = 0
    for person in iter_plan(session, CompiledPolicy.of(runtime.policy), on):
        counts[person.verdict.action] += 1
        for line in plan_lines(person):
            if offset <= index < offset + limit:
                items.append(PlanLinePublic.model_validate(line, from_attributes=True))
            index += 1
    audit.record(
        session,
        runtime.clock,
        principal.actor,
        "retention.plan",
        details={"as_of": on.isoformat(), "erase": counts["erase"], "trim": counts["trim"], "held": counts["keep"]},
    )
    return PlanPage(
        as_of=on,
        people_to_erase=counts["erase"],
        people_to_trim=counts["trim"],
        people_held=counts["keep"],
        items=items,
        limit=limit,
        offset=offset,
    )


@router.get("/holds", response_model=list[HoldPublic])
def list_holds(session: SessionDep, runtime: RuntimeDep, principal: Reader, all: bool = False) -> list[HoldPublic]:
    return holds.list_holds(session, runtime.clock, include_inactive=all)


@router.post("/holds", response_model=HoldPublic, status_code=201)
def add_hold(data: HoldCreate, session: SessionDep, runtime: RuntimeDep, principal: Runner) -> HoldPublic:
    return holds.add_hold(session, runtime.clock, principal.actor, data, policy=runtime.policy)


@router.post("/holds/{hold_id}/release", response_model=HoldPublic)
def release_hold(hold_id: int, session: SessionDep, runtime: RuntimeDep, principal: Runner) -> HoldPublic:
    return holds.release_hold(session, runtime.clock, principal.actor, hold_id)


@router.get("/sweeps", response_model=list[SweepPublic])
def list_sweeps(
    session: SessionDep, principal: Reader, limit: Annotated[int, Query(ge=1, le=500)] = 20
) -> list[SweepPublic]:
    return recent_sweeps(session, limit)


@router.post("/sweeps", response_model=SweepWake, status_code=202)
def wake_sweep(session: SessionDep, runtime: RuntimeDep, principal: Runner) -> SweepWake:
    due = scheduler_for(runtime).wake(RETENTION_SWEEP)
    audit.record(session, runtime.clock, principal.actor, "retention.sweep_requested", target=f"job:{RETENTION_SWEEP}")
    return SweepWake(job=RETENTION_SWEEP, due_at=due)


@router.get("/tombstones", response_model=TombstonePage)
def tombstones(
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Reader,
    sweep: Annotated[int | None, Query(description="Only the tombstones of this sweep.")] = None,
    ref: Annotated[str | None, Query(max_length=36, description="Only this person's (by ref).")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> TombstonePage:
    """Proofs of erasure, newest first: rule, dates and counts per system; no personal data. Audited."""
    return list_tombstones(
        session, runtime.clock, principal.actor, sweep_id=sweep, subject_ref=ref, limit=limit, offset=offset
    )


@router.get("/tombstones/{tombstone_id}", response_model=TombstonePublic)
def tombstone(tombstone_id: int, session: SessionDep, runtime: RuntimeDep, principal: Reader) -> TombstonePublic:
    return get_tombstone(session, runtime.clock, principal.actor, tombstone_id)
