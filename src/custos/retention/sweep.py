"""The retention sweep: a durable state machine in rows, driven forward by whoever runs it.

    retention_sweep:  planning ──► running ──► done
    retention_task:   pending ──► done | skipped          (one per person due on the sweep's day)

Planning walks the candidates in person-id order and, per chunk, inserts the tasks and stores the last id
looked at (`plan_cursor`) in the same transaction; running takes pending tasks in batches and carries each
batch out in one transaction (`erase.execute_batch`). A crash or kill -9 anywhere loses at most the open
transaction; `run_sweep` first drives every unfinished sweep to done, then starts today's. A duplicate
wake-up is harmless: the sweep row is locked while planning, tasks are claimed with SKIP LOCKED on
PostgreSQL (SQLite serialises writers), and a task that is not pending is never touched again.

Due-ness is judged as of the sweep's day (`as_of`, from the injected clock when the sweep started), with the
facts as they are when the task runs; holds as they stand when it runs. So a resumed sweep never erases
earlier than planned, and a hold placed mid-sweep still stops it.

More systems (the connectors issue) become more steps per task: planning writes `{"crm": "pending", …,
"register": "pending"}`, each step commits its own state, and the task is done when every step is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from custos import audit
from custos.actor import Actor
from custos.clock import Clock, today
from custos.db import Database
from custos.policy import Policy
from custos.retention._testhooks import PauseHook
from custos.retention.erase import REGISTER_STEP, execute_batch
from custos.retention.models import RetentionSweep, RetentionTask, Tombstone
from custos.retention.plan import plan_chunk
from custos.retention.rules import CompiledPolicy
from custos.retention.systems_step import SystemSteps, ready_for_register

BATCH = 500
PLAN_CHUNK = 2000
# (phase, done, total): "planning" counts people planned (total unknown: 0), "erasing" counts tasks.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SweepReport:
    id: int
    as_of: date
    state: str
    planned: int
    erased: int
    trimmed: int
    skipped: int
    held: int
    released: int

    @staticmethod
    def of(sweep: RetentionSweep) -> SweepReport:
        return SweepReport(
            sweep.id,
            sweep.as_of,
            sweep.state,
            sweep.planned,
            sweep.erased,
            sweep.trimmed,
            sweep.skipped,
            sweep.held,
            sweep.released,
        )


def run_sweep(
    db: Database,
    policy: Policy,
    clock: Clock,
    actor: Actor,
    *,
    trigger: str,
    batch: int = BATCH,
    progress: Progress | None = None,
    systems: SystemSteps | None = None,
) -> list[SweepReport]:
    """Finish every unfinished sweep, then sweep as of today; one report per sweep driven.

    With `systems`, due people are erased in the connected systems their activities name, too.
    """
    rules = CompiledPolicy.of(policy)
    with db.transaction() as session:
        unfinished = list(
            session.scalars(select(RetentionSweep.id).where(RetentionSweep.state != "done").order_by(RetentionSweep.id))
        )
    reports = [
        drive(db, rules, clock, actor, sweep_id, batch=batch, progress=progress, systems=systems)
        for sweep_id in unfinished
    ]
    sweep_id = start_sweep(db, clock, actor, trigger)
    reports.append(drive(db, rules, clock, actor, sweep_id, batch=batch, progress=progress, systems=systems))
    return reports


def start_sweep(db: Database, clock: Clock, actor: Actor, trigger: str) -> int:
    with db.transaction() as session:
        sweep = RetentionSweep(
            state="planning",
            as_of=today(clock),
            trigger=trigger,
            actor=actor.label,
            started_at=clock.now(),
            plan_cursor=0,
            planned=0,
            erased=0,
            trimmed=0,
            skipped=0,
            held=0,
            released=0,
        )
        session.add(sweep)
        session.flush()
        audit.record(
            session,
            clock,
            actor,
            "retention.sweep_start",
            target=f"retention_sweep:{sweep.id}",
            details={"as_of": sweep.as_of.isoformat(), "trigger": trigger},
        )
        return sweep.id


def drive(
    db: Database,
    rules: CompiledPolicy,
    clock: Clock,
    actor: Actor,
    sweep_id: int,
    *,
    batch: int = BATCH,
    progress: Progress | None = None,
    systems: SystemSteps | None = None,
) -> SweepReport:
    """Move one sweep forward until it is done; safe to call again at any point, from any process.

    A task whose step in a connected system failed is set aside until the next drive; the sweep then stays
    `running` (its report says so) and is finished by a later drive once every step is done.
    """
    tell = progress or (lambda _phase, _done, _total: None)
    while (state := _plan_step(db, rules, clock, sweep_id, systems)) == "planning":
        tell("planning", _count(db, sweep_id, "planned"), 0)
    hook = PauseHook()
    set_aside: set[int] = set()
    while state == "running":
        if systems is not None:
            with db.transaction() as session:
                waiting = [t.id for t in _pending(session, sweep_id, batch, set_aside) if not ready_for_register(t)]
            if waiting:
                set_aside |= systems.run(rules, sweep_id, waiting)
        with db.transaction() as session:
            sweep = _locked(session, sweep_id)
            tasks = _pending(session, sweep_id, batch, set_aside)
            if not tasks:
                if set_aside:
                    break
                _finish(session, clock, actor, sweep)
                state = sweep.state
                continue
            # Without the systems part, tasks planned with system steps still finish their register step.
            tasks = [t for t in tasks if systems is None or ready_for_register(t)]
            if not tasks:
                continue
            counts = systems.counts(session, sweep_id, tasks) if systems is not None else None
            result = execute_batch(session, clock, actor, rules, sweep, tasks, counts)
            if systems is not None:
                systems.forget(session, sweep_id, [t.person_ref for t in tasks])
            done, total = sweep.erased + sweep.trimmed + sweep.skipped, sweep.planned
            hook.before_commit()
        hook.committed(result.done)
        tell("erasing", done, total)
    with db.transaction() as session:
        return SweepReport.of(_locked(session, sweep_id))


def _locked(session: Session, sweep_id: int) -> RetentionSweep:
    sweep = session.scalar(
        select(RetentionSweep)
        .where(RetentionSweep.id == sweep_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert sweep is not None
    return sweep


def _count(db: Database, sweep_id: int, column: str) -> int:
    with db.transaction() as session:
        return int(getattr(_locked(session, sweep_id), column))


def _plan_step(db: Database, rules: CompiledPolicy, clock: Clock, sweep_id: int, systems: SystemSteps | None) -> str:
    """Plan one chunk of people (tasks + cursor in one transaction); returns the sweep's state after it."""
    with db.transaction() as session:
        sweep = _locked(session, sweep_id)
        if sweep.state != "planning":
            return sweep.state
        planned, last = plan_chunk(session, rules, sweep.as_of, today(clock), sweep.plan_cursor, PLAN_CHUNK)
        if last is None:
            sweep.state = "running"
            return sweep.state
        rows: list[dict[str, Any]] = []
        for person in planned:
            if person.verdict.action == "keep":  # due, but a hold keeps it: counted, no task
                sweep.held += 1
                continue
            rows.append(
                {
                    "sweep_id": sweep.id,
                    "person_id": person.verdict.person_id,
                    "person_ref": person.ref,
                    "action": person.verdict.action,
                    "state": "pending",
                    "relationship_ids": [r.row.id for r in person.verdict.removed],
                    "steps": systems.plan(person.verdict) if systems is not None else {REGISTER_STEP: "pending"},
                }
            )
            if person.verdict.held:
                sweep.held += 1
        if rows:
            table = RetentionTask.__table__
            assert isinstance(table, Table)
            session.execute(insert(table), rows)
        sweep.planned += len(rows)
        sweep.plan_cursor = last
        return sweep.state


def _pending(session: Session, sweep_id: int, batch: int, set_aside: set[int] | None = None) -> list[RetentionTask]:
    query = (
        select(RetentionTask)
        .where(
            RetentionTask.sweep_id == sweep_id,
            RetentionTask.state == "pending",
            RetentionTask.id.not_in(sorted(set_aside or ())),
        )
        .order_by(RetentionTask.id)
        .limit(batch)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Two drivers of one sweep (a duplicate wake-up) take different tasks instead of waiting on each other.
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def _finish(session: Session, clock: Clock, actor: Actor, sweep: RetentionSweep) -> None:
    """Close the sweep; tombstones whose legal retention has run out are marked released (Art. 5(1)(e))."""
    expired = list(
        session.scalars(
            select(Tombstone.id).where(Tombstone.state == "retained_under_law", Tombstone.retained_until <= sweep.as_of)
        )
    )
    if expired:
        session.execute(update(Tombstone).where(Tombstone.id.in_(expired)).values(state="released"))
    sweep.released += len(expired)
    sweep.state = "done"
    sweep.finished_at = clock.now()
    audit.record(
        session,
        clock,
        actor,
        "retention.sweep_done",
        target=f"retention_sweep:{sweep.id}",
        details={
            "as_of": sweep.as_of.isoformat(),
            "planned": sweep.planned,
            "erased": sweep.erased,
            "trimmed": sweep.trimmed,
            "skipped": sweep.skipped,
            "held": sweep.held,
            "released": sweep.released,
        },
    )
