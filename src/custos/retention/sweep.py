"""The retention sweep: a durable state machine in rows, driven forward by whoever runs it.

    retention_sweep:  planning ──► running ──► done
    retention_task:   pending ──► done | skipped          (one per person due on the sweep's day)

Planning walks the candidates in person-id order and, per chunk, inserts the tasks and stores the last id
looked at (`plan_cursor`) in the same transaction; running takes pending tasks in batches and carries each
batch out in one transaction (`erase.execute_batch`). A crash or kill -9 anywhere loses at most the open
unit of work; `run_sweep` first drives every unfinished sweep to done, then starts today's.

Running is shared: the tasks fall into buckets (task id // BUCKET), each driven by one worker at a time
(`db.exclusive`, an advisory lock that dies with its worker), and the daily job defers one task per bucket
(`drive_bucket`) so that any number of `custos worker` processes erase side by side, while the job drives
the buckets nobody has taken and waits for the rest. A batch adds its counts to the sweep with one UPDATE
instead of holding the sweep row, and the driver whose commit leaves nothing pending closes the sweep. A
duplicate wake-up is harmless: the sweep row is locked while planning, tasks are claimed with SKIP LOCKED on
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
from custos.db.exclusive import exclusive
from custos.retention.erase import REGISTER_STEP, BatchResult, execute_batch
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
JOB_ACTOR = Actor.system(JOB_NAME)
BATCH = 500
PLAN_CHUNK = 2000
# A bucket is the unit workers share: the sweep's tasks whose id // BUCKET is the same. Fixed by the ids, so
# every worker (and a re-run after a crash) names the same bucket the same way.
BUCKET = 500
# (phase, done, total): "planning" counts people planned (total unknown: 0), "erasing" counts tasks.
Progress = Callable[[str, int, int], None]
# Test-only (a kill -9 at a known point): called with the tasks this drive has committed so far, after a batch
# has done all its work and before it commits. Production passes none.
BeforeCommit = Callable[[int], None]
# Hands the buckets of a planned sweep to other workers (the daily job defers a task per bucket).
FanOut = Callable[[int, list[int]], None]


def run_sweep(
    runtime: Runtime,
    actor: Actor,
    *,
    trigger: str,
    batch: int = BATCH,
    progress: Progress | None = None,
    systems: SystemSteps | None = None,
    before_commit: BeforeCommit | None = None,
    fan_out: FanOut | None = None,
) -> list[SweepPublic]:
    """Finish every unfinished sweep, then sweep as of today; one report per sweep driven.

    With `systems`, due people are erased in the connected systems their activities name, too. With
    `fan_out`, other workers erase side by side with this one (see `drive`).
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
        "fan_out": fan_out,
    }
    reports = [drive(runtime, rules, actor, sweep_id, **options) for sweep_id in unfinished]
    with runtime.work(actor) as work:
        sweep_id = start_sweep(work, trigger)
    # A sweep left running (a system step failed) may still have a task of it in a worker's queue. Once today's
    # sweep exists such a task does nothing (`drive_bucket`); one already under way is waited for here, so it
    # never erases a person while today's sweep erases them too.
    for earlier in unfinished:
        for bucket in pending_buckets(runtime, actor, earlier):
            with exclusive(runtime.db.engine, _bucket_key(earlier, bucket), wait=True):
                pass
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
    fan_out: FanOut | None = None,
) -> SweepPublic:
    """Move one sweep forward until it is done; safe to call again at any point, from any process.

    Planning is this call's alone (the sweep row is locked per chunk). Then, with `fan_out`, the sweep's
    buckets are handed out (the daily job defers a task per bucket, which any worker may take), and this call
    drives every bucket nobody else has taken, then waits for the ones others are driving: when it returns,
    nothing of the sweep is in flight, so a sweep started after it never races it for the same person.

    A task whose step in a connected system failed is set aside until the next drive; the sweep then stays
    `running` (its report says so) and is finished by a later drive once every step is done.
    """
    driver = _Driver(runtime, rules, actor, sweep_id, batch, progress, systems, before_commit)
    while (state := _plan_step(runtime, actor, rules, sweep_id, systems)) == "planning":
        driver.tell("planning", _count(runtime, actor, sweep_id, "planned"), 0)
    if state == "running":
        buckets = pending_buckets(runtime, actor, sweep_id)
        if fan_out is not None and buckets:
            fan_out(sweep_id, buckets)
        taken = [bucket for bucket in buckets if not driver.bucket(bucket, wait=False)]
        for bucket in taken:  # driven by another worker just now: wait for it, then drive what it left
            driver.bucket(bucket, wait=True)
        if not driver.set_aside:
            finish_if_done(runtime, actor, sweep_id)
    with runtime.work(actor) as work:
        return report(work.session, _locked(work.session, sweep_id))


def drive_bucket(
    runtime: Runtime,
    sweep_id: int,
    bucket: int,
    *,
    systems: SystemSteps | None = None,
    before_commit: BeforeCommit | None = None,
) -> bool:
    """The task a sweep is split into: drive one bucket of its people, unless another worker is driving it
    (then False); the sweep is finished by whichever bucket leaves nothing pending. A task of a sweep that a
    later one has followed does nothing: what it left is the later sweep's (see `run_sweep`)."""
    driver = _Driver(
        runtime, CompiledPolicy.of(runtime.policy), JOB_ACTOR, sweep_id, BATCH, None, systems, before_commit
    )
    if not driver.bucket(bucket, wait=False, unless_followed=True):
        return False
    if not driver.set_aside:
        finish_if_done(runtime, JOB_ACTOR, sweep_id)
    return True


def pending_buckets(runtime: Runtime, actor: Actor, sweep_id: int) -> list[int]:
    """The buckets (task id // BUCKET) of the sweep that still have pending tasks, lowest first."""
    bucket = (RetentionTask.id // BUCKET).label("bucket")
    with runtime.work(actor) as work:
        return [
            int(b)
            for b in work.session.scalars(
                select(bucket)
                .where(RetentionTask.sweep_id == sweep_id, RetentionTask.state == "pending")
                .group_by(bucket)
                .order_by(bucket)
            )
        ]


def finish_if_done(runtime: Runtime, actor: Actor, sweep_id: int) -> bool:
    """Close the sweep when it is running and no task of it is pending (as committed); True when it did.

    Every driver calls this after its own last commit, so the one that commits the last batch sees the sweep
    empty and closes it; the sweep row's lock makes a second closer find it done."""
    with runtime.work(actor) as work:
        left = work.session.scalar(
            select(RetentionTask.id)
            .where(RetentionTask.sweep_id == sweep_id, RetentionTask.state == "pending")
            .limit(1)
        )
        if left is not None:
            return False
        sweep = _locked(work.session, sweep_id)
        if sweep.state != "running":
            return False
        _finish(work, sweep)
        return True


class _Driver:
    """Drives the buckets of one sweep, counting what it committed (for the test-only `before_commit`)."""

    def __init__(
        self,
        runtime: Runtime,
        rules: CompiledPolicy,
        actor: Actor,
        sweep_id: int,
        batch: int,
        progress: Progress | None,
        systems: SystemSteps | None,
        before_commit: BeforeCommit | None,
    ) -> None:
        self.runtime, self.rules, self.actor, self.sweep_id, self.batch = runtime, rules, actor, sweep_id, batch
        self.tell: Progress = progress or (lambda _phase, _done, _total: None)
        self.systems, self.before_commit = systems, before_commit
        self.committed = 0
        self.set_aside: set[int] = set()

    def bucket(self, bucket: int, *, wait: bool, unless_followed: bool = False) -> bool:
        """Erase the pending tasks of one bucket, batch by batch; False when another worker holds it.
        `unless_followed`: nothing, when a later sweep has started (checked under the bucket's lock)."""
        runtime, actor, systems = self.runtime, self.actor, self.systems
        ids = (bucket * BUCKET, (bucket + 1) * BUCKET)
        with exclusive(runtime.db.engine, _bucket_key(self.sweep_id, bucket), wait=wait) as mine:
            if not mine:
                return False
            if unless_followed and _followed(runtime, actor, self.sweep_id):
                return True
            while True:
                if systems is not None:
                    with runtime.work(actor) as work:
                        waiting = [
                            t.id
                            for t in _pending(work.session, self.sweep_id, self.batch, self.set_aside, ids)
                            if not ready_for_register(t)
                        ]
                    if waiting:
                        self.set_aside |= systems.run(self.rules, self.sweep_id, waiting)
                with runtime.work(actor) as work:
                    session = work.session
                    sweep = _current(session, self.sweep_id)
                    tasks = _pending(session, self.sweep_id, self.batch, self.set_aside, ids)
                    if sweep.state != "running" or not tasks:
                        return True
                    # Without the systems part, tasks planned with system steps still finish their register step.
                    tasks = [t for t in tasks if systems is None or ready_for_register(t)]
                    if not tasks:
                        continue
                    counts = systems.counts(session, self.sweep_id, tasks) if systems is not None else None
                    result = execute_batch(work, self.rules, sweep, tasks, counts)
                    done, total = _add_counts(session, self.sweep_id, result)
                    if systems is not None:
                        systems.forget(session, self.sweep_id, [t.person_ref for t in tasks])
                    if self.before_commit is not None:
                        self.before_commit(self.committed)
                self.committed += result.done
                self.tell("erasing", done, total)


def _bucket_key(sweep_id: int, bucket: int) -> str:
    return f"retention-sweep:{sweep_id}:{bucket}"


def _followed(runtime: Runtime, actor: Actor, sweep_id: int) -> bool:
    with runtime.work(actor) as work:
        later = work.session.scalar(select(RetentionSweep.id).where(RetentionSweep.id > sweep_id).limit(1))
    return later is not None


def _current(session: Session, sweep_id: int) -> RetentionSweep:
    """The sweep as committed, detached: a batch reads its day and id, and adds to its counts with one
    UPDATE (`_add_counts`), so batches of other workers are not serialised on the sweep row for long."""
    sweep = session.scalar(
        select(RetentionSweep).where(RetentionSweep.id == sweep_id).execution_options(populate_existing=True)
    )
    assert sweep is not None
    session.expunge(sweep)
    return sweep


def _add_counts(session: Session, sweep_id: int, result: BatchResult) -> tuple[int, int]:
    """Add a batch's counts to the sweep in place (other workers' batches add theirs); (done, planned) after."""
    row = session.execute(
        update(RetentionSweep)
        .where(RetentionSweep.id == sweep_id)
        .values(
            erased=RetentionSweep.erased + result.erased,
            trimmed=RetentionSweep.trimmed + result.trimmed,
            skipped=RetentionSweep.skipped + result.skipped,
        )
        .returning(RetentionSweep.erased + RetentionSweep.trimmed + RetentionSweep.skipped, RetentionSweep.planned)
    ).one()
    return int(row[0]), int(row[1])


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


def _pending(
    session: Session, sweep_id: int, batch: int, set_aside: set[int], ids: tuple[int, int]
) -> list[RetentionTask]:
    query = (
        select(RetentionTask)
        .where(
            RetentionTask.sweep_id == sweep_id,
            RetentionTask.state == "pending",
            RetentionTask.id >= ids[0],
            RetentionTask.id < ids[1],
            RetentionTask.id.not_in(sorted(set_aside)),
        )
        .order_by(RetentionTask.id)
        .limit(batch)
    )
    if session.get_bind().dialect.name == "postgresql":
        # A second driver of the same bucket (one not going through `exclusive`) takes other tasks, never these.
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
