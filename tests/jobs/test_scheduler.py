"""The job runner: due jobs run once per due time, under a lease two workers cannot both hold; failures retry;
the worker thread starts and stops; the daily retention sweep runs at the configured hour."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest

from custos.actor import Actor
from custos.clock import FixedClock
from custos.errors import ConfigurationError
from custos.jobs.models import JobRun
from custos.jobs.registry import RETENTION_SWEEP, default_jobs
from custos.jobs.scheduler import RETRY_AFTER, Job, Scheduler, daily_at, job_state
from custos.jobs.worker import Worker
from custos.register import people
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.retention.history import recent_sweeps
from custos.runtime import Runtime
from custos.settings import load_settings

NOON = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_daily_at_is_the_next_occurrence_of_the_hour() -> None:
    at3 = daily_at(3)
    assert at3(datetime(2026, 11, 29, 2, 59, tzinfo=UTC)) == datetime(2026, 11, 29, 3, tzinfo=UTC)
    assert at3(datetime(2026, 11, 29, 3, 0, tzinfo=UTC)) == datetime(2026, 11, 30, 3, tzinfo=UTC)
    assert at3(datetime(2028, 2, 28, 12, 0, tzinfo=UTC)) == datetime(2028, 2, 29, 3, tzinfo=UTC)


def test_a_due_job_runs_once_and_is_due_again_the_next_day(runtime: Runtime, clock: FixedClock) -> None:
    calls: list[datetime] = []
    clock.set(NOON)
    scheduler = Scheduler(runtime.db, clock, [Job("count", daily_at(3), lambda: calls.append(clock.now()))], "w1")
    assert scheduler.tick() == []  # first due at the next 03:00
    clock.set(datetime(2026, 11, 30, 3, 0, tzinfo=UTC))
    assert scheduler.tick() == ["count"]
    assert scheduler.tick() == []
    (row,) = job_state(runtime.db)
    assert (row.due_at, row.runs, row.last_outcome, row.lease_owner) == (
        datetime(2026, 12, 1, 3, 0, tzinfo=UTC),
        1,
        "ok",
        None,
    )


def test_two_workers_never_run_the_same_job_at_once(runtime: Runtime, clock: FixedClock) -> None:
    clock.set(NOON)
    seen: list[list[str]] = []
    other: list[Scheduler] = []

    def job() -> None:
        seen.append(other[0].tick())  # a second worker ticks while the first is running the job

    first = Scheduler(runtime.db, clock, [Job("sweep", daily_at(3), job)], "worker-a")
    other.append(Scheduler(runtime.db, clock, [Job("sweep", daily_at(3), job)], "worker-b"))
    first.wake("sweep")
    assert first.tick() == ["sweep"]
    assert seen == [[]]


def test_an_expired_lease_is_taken_over(runtime: Runtime, clock: FixedClock) -> None:
    clock.set(NOON)
    ran: list[str] = []
    crashed = Scheduler(runtime.db, clock, [Job("sweep", daily_at(3), lambda: None)], "dead", lease=timedelta(hours=1))
    crashed.wake("sweep")
    assert crashed._claim(crashed.jobs[0], clock.now())  # claimed, then the process died without releasing
    alive = Scheduler(runtime.db, clock, [Job("sweep", daily_at(3), lambda: ran.append("ran"))], "alive")
    assert alive.tick() == []
    clock.advance(timedelta(hours=1, seconds=1))
    assert alive.tick() == ["sweep"]
    assert ran == ["ran"]


def test_a_failing_job_is_recorded_and_retried(runtime: Runtime, clock: FixedClock) -> None:
    clock.set(NOON)

    def boom() -> None:
        raise RuntimeError("database went away")

    scheduler = Scheduler(runtime.db, clock, [Job("flaky", daily_at(3), boom)], "w")
    scheduler.wake("flaky")
    assert scheduler.tick() == ["flaky"]
    row: JobRun = job_state(runtime.db)[0]
    assert (row.last_outcome, row.due_at) == ("failed", NOON + RETRY_AFTER)
    assert "database went away" in (row.last_error or "")


def test_the_worker_thread_ticks_until_stopped(runtime: Runtime, clock: FixedClock) -> None:
    clock.set(NOON)
    ran = threading.Event()
    scheduler = Scheduler(runtime.db, clock, [Job("now", lambda _: NOON, ran.set)], "thread")
    worker = Worker(scheduler, interval=0.05)
    worker.start()
    try:
        assert ran.wait(10)
    finally:
        worker.stop()
    assert not worker.alive


def test_the_daily_retention_sweep_runs_at_the_configured_hour(runtime: Runtime, clock: FixedClock) -> None:
    with runtime.work(Actor.system("test")) as work:
        people.add_person(
            work,
            PersonCreate(
                name="Old Prospect",
                emails=["old@prospect.se"],
                relationships=[RelationshipCreate(subject_category="prospect", last_interaction_on=date(2014, 1, 1))],
            ),
        )
    clock.set(NOON)
    job = next(j for j in default_jobs(runtime) if j.name == RETENTION_SWEEP)
    scheduler = Scheduler(runtime.db, clock, [job], "w")
    assert job.name == RETENTION_SWEEP
    assert scheduler.tick() == []
    clock.set(datetime(2026, 11, 30, 3, 0, tzinfo=UTC))
    assert scheduler.tick() == [RETENTION_SWEEP]
    with runtime.work(Actor.system("test")) as work:
        (sweep,) = recent_sweeps(work)
    assert (sweep.trigger, sweep.erased, sweep.as_of) == ("job", 1, date(2026, 11, 30))


def test_worker_settings() -> None:
    assert load_settings({}).worker is True
    assert load_settings({}).retention_sweep_hour == 3
    assert load_settings({"CUSTOS_WORKER": "off", "CUSTOS_RETENTION_SWEEP_HOUR": "23"}).worker is False
    with pytest.raises(ConfigurationError, match="retention_sweep_hour"):
        load_settings({"CUSTOS_RETENTION_SWEEP_HOUR": "24"})
    with pytest.raises(ConfigurationError, match="worker must be on or off"):
        load_settings({"CUSTOS_WORKER": "maybe"})
