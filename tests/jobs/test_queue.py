"""The jobs split into tasks, run by the in-process queue (the embedded default) on either backend: the sweep
hands out its buckets, the request drive one task per request, the mailing one per slice; every task runs
the same function `custos worker` runs from procrastinate, and nothing is done twice (the mailing's slices:
tests/mailings/test_mailing_slices.py). Also: the short lease
is renewed while a job runs, one runner per piece of work, and the setting that picks the queue."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from workers_support import add_due_people, add_requests, answered_once, erased_once, register_only_policy

from custos.actor import Actor
from custos.audit import AuditEvent, verify
from custos.clock import FixedClock
from custos.db.exclusive import exclusive
from custos.errors import ConfigurationError
from custos.jobs import tasks as job_tasks
from custos.jobs.queue import InProcessQueue, Task, defer_after_commit
from custos.jobs.registry import REQUESTS_DRIVE, RETENTION_SWEEP, scheduler_for
from custos.jobs.scheduler import DEFAULT_LEASE, Job, Scheduler, daily_at
from custos.retention import sweep as sweeps
from custos.retention.models import RetentionSweep, RetentionTask
from custos.retention.rules import CompiledPolicy
from custos.runtime import Runtime, open_runtime
from custos.settings import Settings, load_settings

TESTER = Actor.system("test")


class Recording(InProcessQueue):
    """The in-process queue, noting each task it is handed."""

    def __init__(self, runtime: Runtime, tasks: dict[str, Task]) -> None:
        super().__init__(runtime, tasks)
        self.deferred: list[tuple[str, dict[str, Any]]] = []

    def defer(self, name: str, **args: Any) -> None:
        self.deferred.append((name, args))
        super().defer(name, **args)


@pytest.fixture
def quiet(settings: Settings, clock: FixedClock, tmp_path: Path, runtime: Runtime) -> Iterator[Runtime]:
    """A runtime whose policy keeps every activity in the register only, with its own outbox."""
    policy = register_only_policy(settings, tmp_path)
    rt = open_runtime(replace(settings, policy_path=policy, outbox_dir=tmp_path / "outbox"), clock)
    yield rt
    rt.close()


def _run(runtime: Runtime, queue: Recording, name: str) -> None:
    scheduler = scheduler_for(runtime, queue=queue)
    scheduler.wake(name)
    assert name in scheduler.tick()


def test_the_daily_sweep_hands_out_its_buckets_and_erases_each_person_once(
    quiet: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sweeps, "BUCKET", 4)  # a few people make several buckets
    refs = add_due_people(quiet, 10)
    queue = Recording(quiet, job_tasks.default_tasks())
    _run(quiet, queue, RETENTION_SWEEP)
    with quiet.db.transaction() as session:
        (sweep,) = session.scalars(select(RetentionSweep))
        assert (sweep.state, sweep.planned, sweep.erased) == ("done", 10, 10)
        sweep_id = sweep.id
        done_events = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "retention.sweep_done")
        )
    buckets = [args["bucket"] for name, args in queue.deferred if name == job_tasks.SWEEP_BUCKET]
    assert buckets == [0, 1, 2]  # task ids 1–10 in buckets of 4, each handed out once
    assert {name for name, _ in queue.deferred} == {job_tasks.SWEEP_BUCKET}
    erased_once(quiet, refs, sweep_id)
    assert done_events == 1
    # A bucket task deferred again (a duplicate, a late worker) finds nothing to do.
    assert sweeps.drive_bucket(quiet, sweep_id, buckets[0]) is True
    erased_once(quiet, refs, sweep_id)
    assert verify(quiet.db).ok


def test_a_queued_task_of_a_sweep_a_later_one_has_followed_does_nothing(quiet: Runtime) -> None:
    refs = add_due_people(quiet, 3)
    rules = CompiledPolicy.of(quiet.policy)

    def stop_after_planning(_sweep_id: int, _buckets: list[int]) -> None:
        raise RuntimeError("the job's worker died here; its bucket tasks wait in the queue")

    with quiet.work(TESTER) as work:
        first = sweeps.start_sweep(work, "job")
    with pytest.raises(RuntimeError):
        sweeps.drive(quiet, rules, TESTER, first, fan_out=stop_after_planning)
    with quiet.work(TESTER) as work:
        sweeps.start_sweep(work, "job")  # a later sweep (as run_sweep starts one after driving the first)
    assert sweeps.drive_bucket(quiet, first, 0) is True  # the waiting task of the first: nothing done
    with quiet.db.transaction() as session:
        pending = session.scalar(
            select(func.count()).select_from(RetentionTask).where(RetentionTask.state == "pending")
        )
    assert pending == 3
    sweeps.run_sweep(quiet, TESTER, trigger="job")  # the job drives the first to the end, then today's
    erased_once(quiet, refs, first)


def test_the_request_drive_defers_one_task_per_request_and_answers_each_once(quiet: Runtime) -> None:
    refs = add_requests(quiet, 5)
    queue = Recording(quiet, job_tasks.default_tasks())
    _run(quiet, queue, REQUESTS_DRIVE)
    assert sorted(args["ref"] for _, args in queue.deferred) == sorted(refs)
    _run(quiet, queue, REQUESTS_DRIVE)  # woken again: nothing is open, nothing is deferred or answered twice
    assert len(queue.deferred) == 5
    answered_once(quiet, refs, quiet.settings.outbox_dir)


def test_a_job_defers_after_commit_and_never_for_a_rolled_back_unit(runtime: Runtime) -> None:
    ran: list[int] = []
    queue = InProcessQueue(runtime, {"note": Task("note", lambda _rt, n: ran.append(n))})
    with runtime.work(TESTER) as work:
        defer_after_commit(work, queue, "note", n=1)
        assert ran == []
    assert ran == [1]

    def rolled_back() -> None:
        with runtime.work(TESTER) as work:
            defer_after_commit(work, queue, "note", n=2)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        rolled_back()
    assert ran == [1]


def test_a_failing_task_is_logged_and_the_deferring_job_goes_on(runtime: Runtime) -> None:
    def boom(_runtime: Runtime) -> None:
        raise RuntimeError("broken task")

    queue = InProcessQueue(runtime, {"boom": Task("boom", boom)})
    queue.defer("boom")  # does not raise: its rows say what is left for the next run


def test_one_runner_per_piece_of_work(runtime: Runtime) -> None:
    engine = runtime.db.engine
    seen: list[bool] = []
    with exclusive(engine, "request:R-1") as first:
        other = threading.Thread(target=lambda: _try(engine, "request:R-1", seen))
        other.start()
        other.join()
        with exclusive(engine, "request:R-2") as unrelated:
            assert (first, unrelated) == (True, True)
    assert seen == [False]
    with exclusive(engine, "request:R-1") as again:
        assert again  # released at the end of the block


def _try(engine: Any, key: str, seen: list[bool]) -> None:
    with exclusive(engine, key) as mine:
        seen.append(mine)


def test_the_lease_is_short_and_renewed_while_the_job_runs(runtime: Runtime, clock: FixedClock) -> None:
    clock.set(datetime(2026, 11, 29, 12, 0, tzinfo=UTC))
    renewed = threading.Event()

    class Counting(Scheduler):
        def renew(self, name: str) -> bool:
            held = super().renew(name)
            renewed.set()
            return held

    scheduler = Counting(runtime.db, clock, [Job("long", daily_at(3), lambda: renewed.wait(30))], "w", lease=LEASE)
    scheduler.wake("long")
    assert scheduler.tick() == ["long"]
    assert renewed.is_set()  # the job ended because the heartbeat renewed its lease
    assert timedelta(minutes=2) == DEFAULT_LEASE
    other = Scheduler(runtime.db, clock, [Job("long", daily_at(3), lambda: None)], "other")
    assert not other.renew("long")  # only the holder renews


def test_the_queue_setting() -> None:
    assert load_settings({}).queue == "inprocess"
    pg = "postgresql://custos@db/custos"
    assert load_settings({"CUSTOS_QUEUE": "procrastinate", "CUSTOS_DATABASE_URL": pg}).queue == "procrastinate"
    with pytest.raises(ConfigurationError, match="needs a PostgreSQL database_url"):
        load_settings({"CUSTOS_QUEUE": "procrastinate"})
    with pytest.raises(ConfigurationError, match="queue must be one of"):
        load_settings({"CUSTOS_QUEUE": "celery"})


LEASE = timedelta(milliseconds=200)
