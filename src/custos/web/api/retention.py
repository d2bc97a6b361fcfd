"""Retention over HTTP: the plan, legal holds, sweeps, tombstones. `retention.read` to look, `retention.run` to act.

A sweep is not run inside the request: POST /sweeps makes the daily sweep job due now, and the next tick of
a worker (the thread in `custos serve`, or `custos worker`) runs it — a job is only a wake-up.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from custos.access.principal import Principal
from custos.casework import holds as placing
from custos.clock import today
from custos.jobs.registry import RETENTION_SWEEP, wake_after_commit
from custos.retention import holds
from custos.retention.history import recent_sweeps
from custos.retention.preview import read_plan
from custos.retention.schemas import HoldCreate, HoldPublic, PlanPage, SweepPublic, TombstonePage, TombstonePublic
from custos.retention.sweep import request_sweep
from custos.retention.tombstones import MAX_PAGE, get_tombstone, list_tombstones
from custos.web.auth import Require, WorkDep
from custos.web.deps import RuntimeDep

Reader = Annotated[Principal, Require("retention.read")]
Runner = Annotated[Principal, Require("retention.run")]

router = APIRouter(prefix="/api/v1/retention", tags=["retention"])


class SweepWake(BaseModel):
    job: str
    due_at: datetime


@router.get("/plan", response_model=PlanPage)
def plan(
    work: WorkDep,
    principal: Reader,
    at: Annotated[date | None, Query(description="Plan as of this day; default today.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> PlanPage:
    return read_plan(work, at or today(work.clock), limit=limit, offset=offset)


@router.get("/holds", response_model=list[HoldPublic])
def list_holds(work: WorkDep, principal: Reader, all: bool = False) -> list[HoldPublic]:
    return holds.list_holds(work, include_inactive=all)


@router.post("/holds", response_model=HoldPublic, status_code=201)
def add_hold(data: HoldCreate, work: WorkDep, principal: Runner) -> HoldPublic:
    return placing.add_hold(work, data)


@router.post("/holds/{hold_id}/release", response_model=HoldPublic)
def release_hold(hold_id: int, work: WorkDep, principal: Runner) -> HoldPublic:
    return holds.release_hold(work, hold_id)


@router.get("/sweeps", response_model=list[SweepPublic])
def list_sweeps(work: WorkDep, principal: Reader, limit: Annotated[int, Query(ge=1, le=500)] = 20) -> list[SweepPublic]:
    return recent_sweeps(work, limit)


@router.post("/sweeps", response_model=SweepWake, status_code=202)
def wake_sweep(work: WorkDep, runtime: RuntimeDep, principal: Runner) -> SweepWake:
    due = request_sweep(work)
    wake_after_commit(work, runtime, RETENTION_SWEEP)
    return SweepWake(job=RETENTION_SWEEP, due_at=due)


@router.get("/tombstones", response_model=TombstonePage)
def tombstones(
    work: WorkDep,
    principal: Reader,
    sweep: Annotated[int | None, Query(description="Only the tombstones of this sweep.")] = None,
    ref: Annotated[str | None, Query(max_length=36, description="Only this person's (by ref).")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> TombstonePage:
    """Proofs of erasure, newest first: rule, dates and counts per system; no personal data. Audited."""
    return list_tombstones(work, sweep_id=sweep, subject_ref=ref, limit=limit, offset=offset)


@router.get("/tombstones/{tombstone_id}", response_model=TombstonePublic)
def tombstone(tombstone_id: int, work: WorkDep, principal: Reader) -> TombstonePublic:
    return get_tombstone(work, tombstone_id)
