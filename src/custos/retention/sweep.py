"""The retention sweep: a durable state machine in rows, driven forward by whoever runs it.

    retention_sweep:  planning ──► running ──► done
    retention_task:   pending ──► done | skipped          (one per person due on the sweep's day)

Planning walks the candidates in person-id order and, per chunk, inserts the tasks and stores the last id
looked at (`plan_cursor`) in the same transaction; running takes pending tasks in batches and carries each
batch out in one transaction (`erase.execute_batch`). A crash or kill -9 anywhere loses at most the open
unit of work; `run_sweep` first drives every unfinished sweep to done, then starts today's. A duplicate
wake-up is harmless: the sweep row is locked while planning, tasks are claimed with SKIP LOCKED on
PostgreSQL (SQLite serialises writers), and a task that is not pending is never touched again.

Due-ness is judged as of the sweep's day (`as_of`, from the injected clock when the sweep started), with the
facts as they are when the task runs; holds as they stand when it runs. So a resumed sweep never erases
earlier than planned, and a hold placed mid-sweep still stops it.

More systems (the connectors issue) become more steps per task: planning writes `{"crm": "pending", …,
"register": "pending"}`, each step commits its own state, and the task is done when every step is.

Runtime tier (`custos.work`): `run_sweep(runtime, actor, …)` opens `runtime.work(actor)` per planning chunk and
per batch. A sweep asked for by a member (`request_sweep`) is not run in their request: it is recorded, and the
daily job, woken, runs it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from custos.actor import Actor
from custos.audit.actions import Action
from custos.clock import today
from custos.retention.erase import REGISTER_STEP, execute_batch
from custos.retention.history import sweep_public
from custos.retention.models import RetentionSweep, RetentionTask, Tombstone
from custos.retention.plan import plan_chunk
from custos.retention.rules import CompiledPolicy
from custos.retention.schemas import SweepPublic
from custos.retention.systems_step import SystemSteps, ready_for_register
from custos.work import Work

if TYPE_CHECKING:
    from custos.runtime import Runtime

JOB_NAME = "retention-sweep"
BATCH = 500
PLAN_CHUNK = 2000
# (phase, done, total): "planning" counts people planned (total unknown: 0), "erasing" counts tasks.
Progress = Callable[[str, int, int], None]
# Test-only (a kill -9 at a known point): called with the tasks this drive has committed so far, after a batch
# has done all its work and before it commits. Production passes none.
BeforeCommit = Callable[[int], None]


def run_sweep(
    runtime: Runtime,
    actor: Actor,
    *,
    trigger: str,
    batch: int = BATCH,
    progress: Progress | None = None,
    systems: SystemSteps | None = None,
    before_commit: BeforeCommit | None = None,
) -> list[SweepPublic]:
    """Finish every unfinished sweep, then sweep as of today; one report per sweep driven.

    With `systems`, due people are erased in the connected systems their activities name, too.
    """
    rules = CompiledPolicy.of(runtime.policy)
    with runtime.work(actor) as work:
        unfinished = list(
            work.session.scalars(
                select(RetentionSweep.id).where(RetentionSweep.state != "done").order_by(RetentionSweep.id)
            )
        )
    options: dict[str, Any] = {
        "batch": batch,
        "progress": progress,
        "systems": systems,
        "before_commit": before_commit,
    }
    reports = [drive(runtime, rules, actor, sweep_id, **options) for sweep_id in unfinished]
    with runtime.work(actor) as work:
        sweep_id = start_sweep(work, trigger)
    reports.append(drive(runtime, rules, actor, sweep_id, **options))
    return reports


def start_sweep(work: Work, trigger: str) -> int:
    """A new sweep as of today, to be driven (`drive`); audited as started by the unit's actor."""
    clock = work.clock
    sweep = RetentionSweep(
        state="planning",
        as_of=today(clock),
        trigger=trigger,
        actor=work.actor.label,
        started_at=clock.now(),
        plan_cursor=0,
        planned=0,
        erased=0,
        trimmed=0,
        skipped=0,
        held=0,
        released=0,
    )
    work.session.add(sweep)
    work.session.flush()
    work.audit(
        Action.RETENTION_SWEEP_START,
        target=f"retention_sweep:{sweep.id}",
        details={"as_of": sweep.as_of.isoformat(), "trigger": trigger},
    )
    return sweep.id


def request_sweep(work: Work, *, confirmed_people: int | None = None) -> datetime:
    """A member asks for a sweep now (having confirmed how many people the dry run showed, from the admin):
    recorded here; the edge wakes the daily job once this commits, and a worker's next tick runs it — never
    the request itself. Returns when it was asked for."""
    details: dict[str, object] | None = None
    if confirmed_people is not None:
        details = {"as_of": today(work.clock).isoformat(), "confirmed_people": confirmed_people}
    work.audit(Action.RETENTION_SWEEP_REQUESTED, target=f"job:{JOB_NAME}", details=details)
    return work.clock.now()


def drive(
    runtime: Runtime,
    rules: CompiledPolicy,
    actor: Actor,
    sweep_id: int,
    *,
    batch: int = BATCH,
    progress: Progress | None = None,
    systems: SystemSteps | None = None,
    before_commit: BeforeCommit | None = None,
) -> SweepPublic:
    """Move one sweep forward until it is done; safe to call again at any point, from any process.

    A task whose step in a connected system failed is set aside until the next drive; the sweep then stays
    `running` (its report says so) and is finished by a later drive once every step is done.
    """
    tell = progress or (lambda _phase, _done, _total: None)
    while (state := _plan_step(runtime, actor, rules, sweep_id, systems)) == "planning":
        tell("planning", _count(runtime, actor, sweep_id, "planned"), 0)
    committed = 0
    set_aside: set[int] = set()
    while state == "running":
        if systems is not None:
            with runtime.work(actor) as work:
                waiting = [
                    t.id for t in _pending(work.session, sweep_id, batch, set_aside) if not ready_for_register(t)
                ]
            if waiting:
                set_aside |= systems.run(rules, sweep_id, waiting)
        with runtime.work(actor) as work:
            sweep = _locked(work.session, sweep_id)
            tasks = _pending(work.session, sweep_id, batch, set_aside)
            if not tasks:
                if set_aside:
                    break
                _finish(work, sweep)
                state = sweep.state
                continue
            # Without the systems part, tasks planned with system steps still finish their register step.
            tasks = [t for t in tasks if systems is None or ready_for_register(t)]
            if not tasks:
                continue
            counts = systems.counts(work.session, sweep_id, tasks) if systems is not None else None
            result = execute_batch(work, rules, sweep, tasks, counts)
            if systems is not None:
                systems.forget(work.session, sweep_id, [t.person_ref for t in tasks])
            done, total = sweep.erased + sweep.trimmed + sweep.skipped, sweep.planned
            if before_commit is not None:
                before_commit(committed)
        committed += result.done
        tell("erasing", done, total)
    with runtime.work(actor) as work:
        return report(work.session, _locked(work.session, sweep_id))


def report(session: Session, sweep: RetentionSweep) -> SweepPublic:
    """The sweep as the API, the CLI and the pages show it, with the tombstones it has left so far."""
    tombstones = session.scalar(select(func.count()).select_from(Tombstone).where(Tombstone.sweep_id == sweep.id))
    return sweep_public(sweep, int(tombstones or 0))


def _locked(session: Session, sweep_id: int) -> RetentionSweep:
    sweep = session.scalar(
        select(RetentionSweep)
        .where(RetentionSweep.id == sweep_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert sweep is not None
    return sweep


def _count(runtime: Runtime, actor: Actor, sweep_id: int, column: str) -> int:
    with runtime.work(actor) as work:
        return int(getattr(_locked(work.session, sweep_id), column))


def _plan_step(
    runtime: Runtime, actor: Actor, rules: CompiledPolicy, sweep_id: int, systems: SystemSteps | None
) -> str:
    """Plan one chunk of people (tasks + cursor in one unit); returns the sweep's state after it."""
    with runtime.work(actor) as work:
        session = work.session
        sweep = _locked(session, sweep_id)
        if sweep.state != "planning":
            return sweep.state
        planned, last = plan_chunk(session, rules, sweep.as_of, today(work.clock), sweep.plan_cursor, PLAN_CHUNK)
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


def _finish(work: Work, sweep: RetentionSweep) -> None:
    """Close the sweep; tombstones whose legal retention has run out are marked released (Art. 5(1)(e))."""
    session = work.session
    expired = list(
        session.scalars(
            select(Tombstone.id).where(Tombstone.state == "retained_under_law", Tombstone.retained_until <= sweep.as_of)
        )
    )
    if expired:
        session.execute(update(Tombstone).where(Tombstone.id.in_(expired)).values(state="released"))
    sweep.released += len(expired)
    sweep.state = "done"
    sweep.finished_at = work.clock.now()
    work.audit(
        Action.RETENTION_SWEEP_DONE,
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
