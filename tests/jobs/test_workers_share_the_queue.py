"""Two real `custos worker` processes on one PostgreSQL database with `queue = procrastinate` share a sweep of
a few thousand people and a batch of requests: each person is erased once (one tombstone, one audit event),
each request answered once. A worker killed with kill -9 in the middle of a batch leaves nothing half-done:
another worker takes the job over and finishes the sweep, with the same invariants.

The workers run the real command (`python -m custos worker`); the killed one is `paused_worker.py`, the same
worker code with a test-only pause before a batch's commit and a short lease (see there).
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from paused_worker import MARKER
from sqlalchemy import func
from sqlalchemy import select as sql_select
from workers_support import (
    ROOT,
    add_due_people,
    add_requests,
    answered_once,
    erased_once,
    register_only_policy,
    start_worker,
    stop,
    wait_until,
    worker_env,
)

from custos.audit import verify
from custos.clock import FixedClock
from custos.jobs.procrastinate_queue import SCHEMA, ProcrastinateQueue
from custos.jobs.registry import REQUESTS_DRIVE, RETENTION_SWEEP, scheduler_for
from custos.jobs.tasks import REQUEST_DRIVE, default_tasks
from custos.requests.models import SubjectRequest
from custos.retention.models import RetentionSweep, RetentionTask
from custos.runtime import Runtime, open_runtime
from custos.settings import Settings
from custos.setup import initialise

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PEOPLE = 2500
REQUESTS = 50
PAUSED_WORKER = Path(__file__).with_name("paused_worker.py")


@pytest.fixture
def queued(settings: Settings, backend: str, tmp_path: Path) -> Settings:
    if backend != "postgres":
        pytest.skip("the procrastinate queue runs on PostgreSQL only (run with --backend postgres)")
    return replace(
        settings,
        queue="procrastinate",
        policy_path=register_only_policy(settings, tmp_path),
        outbox_dir=tmp_path / "outbox",
        packages_dir=tmp_path / "packages",
    )


@pytest.fixture
def rt(queued: Settings, clock: FixedClock) -> Iterator[Runtime]:
    initialise(queued, clock)  # creates procrastinate's schema, as `custos init` does with queue procrastinate
    runtime = open_runtime(queued, clock)
    yield runtime
    runtime.close()


def _sweep(runtime: Runtime) -> RetentionSweep | None:
    with runtime.db.transaction() as session:
        found = session.scalars(sql_select(RetentionSweep).order_by(RetentionSweep.id)).first()
        if found is not None:
            session.expunge(found)
        return found


def _swept(runtime: Runtime) -> bool:
    sweep = _sweep(runtime)
    return sweep is not None and sweep.state == "done"


def _answered(runtime: Runtime, refs: list[str]) -> bool:
    with runtime.db.transaction() as session:
        done = session.scalar(
            sql_select(func.count())
            .select_from(SubjectRequest)
            .where(SubjectRequest.ref.in_(refs), SubjectRequest.state == "completed")
        )
    return done == len(refs)


def test_init_creates_procrastinate_schema_apart_from_the_register(rt: Runtime) -> None:
    with rt.db.engine.connect() as connection:
        assert connection.exec_driver_sql(f"SELECT to_regclass('{SCHEMA}.procrastinate_jobs')").scalar() is not None
        public = connection.exec_driver_sql(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_name LIKE 'procrastinate%%'"
        ).scalar()
    assert public == 0
    initialise(rt.settings, rt.clock)  # a second init finds it there


def test_two_workers_share_a_sweep_and_a_batch_of_requests_doing_nothing_twice(rt: Runtime, tmp_path: Path) -> None:
    people = add_due_people(rt, PEOPLE)
    requests = add_requests(rt, REQUESTS)
    scheduler = scheduler_for(rt)
    scheduler.wake(RETENTION_SWEEP)
    scheduler.wake(REQUESTS_DRIVE)
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    workers = [start_worker(rt.settings, log) for log in logs]
    try:
        wait_until(lambda: _swept(rt) and _answered(rt, requests), "swept and answered", workers, logs)
    finally:
        for worker in workers:
            stop(worker)
    sweep = _sweep(rt)
    assert sweep is not None
    assert (sweep.planned, sweep.erased, sweep.trimmed, sweep.skipped) == (PEOPLE, PEOPLE, 0, 0)
    erased_once(rt, people, sweep.id)
    answered_once(rt, requests, rt.settings.outbox_dir)
    assert verify(rt.db).ok
    ran = [log.read_text().count("task ") for log in logs]
    assert all(ran), f"both workers took tasks from the queue: {ran}"


def _paused_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    """`paused_worker.py 0`: the first batch any driver of the sweep carries out pauses before its commit."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, str(PAUSED_WORKER), "0"],
            env=worker_env(settings),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.PIPE,
        )


def _wait_for_pause(process: subprocess.Popen[bytes], log: Path) -> None:
    assert process.stderr is not None
    seen = b""
    while MARKER.encode() not in seen:
        ready, _, _ = select.select([process.stderr], [], [], 600)
        chunk = os.read(process.stderr.fileno(), 4096) if ready else b""
        assert chunk, f"the worker never paused:\n{seen.decode(errors='replace')}\n{log.read_text()}"
        seen += chunk


def test_a_worker_killed_mid_batch_leaves_nothing_half_done_and_another_finishes(rt: Runtime, tmp_path: Path) -> None:
    people = add_due_people(rt, 1200)
    scheduler_for(rt).wake(RETENTION_SWEEP)
    paused_log = tmp_path / "paused.log"
    paused = _paused_worker(rt.settings, paused_log)
    try:
        _wait_for_pause(paused, paused_log)
    finally:
        os.kill(paused.pid, signal.SIGKILL)
        paused.wait(30)
        assert paused.stderr is not None
        paused.stderr.close()
    assert paused.returncode == -signal.SIGKILL
    first = _sweep(rt)
    assert first is not None
    with rt.db.transaction() as session:
        pending = session.scalar(
            sql_select(func.count())
            .select_from(RetentionTask)
            .where(RetentionTask.sweep_id == first.id, RetentionTask.state == "pending")
        )
    assert first.state == "running"  # killed mid-sweep, the paused batch not committed
    assert pending

    log = tmp_path / "worker.log"
    worker = start_worker(rt.settings, log)
    try:
        wait_until(lambda: _swept(rt), "swept", [worker], [log])
    finally:
        stop(worker)
    done = _sweep(rt)
    assert done is not None
    assert done.id == first.id
    assert (done.planned, done.erased) == (1200, 1200)
    erased_once(rt, people, done.id)
    assert verify(rt.db).ok


def test_worker_once_ticks_and_runs_the_tasks_the_tick_leaves_in_the_queue(rt: Runtime, tmp_path: Path) -> None:
    requests = add_requests(rt, 3)
    scheduler_for(rt).wake(REQUESTS_DRIVE)
    once = subprocess.run(
        [sys.executable, "-m", "custos", "worker", "--once"],
        env=worker_env(rt.settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert once.returncode == 0, once.stderr
    assert REQUESTS_DRIVE in once.stdout
    assert once.stdout.count("task requests.drive") == 3
    answered_once(rt, requests, rt.settings.outbox_dir)


def test_a_task_a_vanished_worker_left_doing_is_queued_again(rt: Runtime) -> None:
    queue = ProcrastinateQueue(rt.settings, default_tasks())
    try:
        queue.defer(REQUEST_DRIVE, ref="R-LEFT")
        queue.defer(REQUEST_DRIVE, ref="R-LEFT")  # still waiting: not queued twice
        with rt.db.engine.begin() as connection:
            # As the job of a worker pruned for missing its heartbeats is left: doing, with no worker. (Its
            # triggers name procrastinate's tables unqualified, as every procrastinate connection sees them.)
            connection.exec_driver_sql(f"SET LOCAL search_path TO {SCHEMA}")
            connection.exec_driver_sql("UPDATE procrastinate_jobs SET status = 'doing', worker_id = NULL")
        assert queue.retry_stalled() == 1
        with rt.db.engine.connect() as connection:
            rows = connection.exec_driver_sql(f"SELECT status, args FROM {SCHEMA}.procrastinate_jobs").all()
        assert [(str(status), args) for status, args in rows] == [("todo", {"ref": "R-LEFT"})]
        assert queue.retry_stalled() == 0
    finally:
        queue.close()
