"""A minimal durable scheduler: `Scheduler.tick(now)` runs every job that is due, under a lease.

The schedule lives in `job_run` rows, so any number of workers (the thread inside `custos serve`, separate
`custos worker` processes) can tick against one database: a job is claimed by one conditional UPDATE that
only succeeds when it is due and nobody holds an unexpired lease, so two workers never run it at once. A job
is only a wake-up; the work it drives is itself a state machine in rows (e.g. the retention sweep), so an
expired lease or a crash mid-run leads to the next run resuming it, never to anything done twice.

The lease is short (`DEFAULT_LEASE`, two minutes) and renewed by a heartbeat thread while the job runs, so a
long job keeps it however long it takes, and a worker killed mid-run (kill -9, a lost machine) holds it up for
at most those two minutes: then any other worker's tick claims the job and resumes what it was driving.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from custos.clock import Clock
from custos.db import Database
from custos.jobs.models import JobRun

log = logging.getLogger("custos.jobs")

RETRY_AFTER = timedelta(minutes=15)
DEFAULT_LEASE = timedelta(minutes=2)
# The lease is renewed this many times within its length: one missed beat (a slow database) does not lose it.
BEATS_PER_LEASE = 4


@dataclass(frozen=True)
class Job:
    name: str
    next_due: Callable[[datetime], datetime]  # the first time strictly after the given one
    run: Callable[[], object]


def daily_at(hour: int) -> Callable[[datetime], datetime]:
    """Every day at `hour`:00 UTC."""

    def next_due(after: datetime) -> datetime:
        candidate = after.replace(hour=hour, minute=0, second=0, microsecond=0)
        return candidate if candidate > after else candidate + timedelta(days=1)

    return next_due


class Scheduler:
    def __init__(
        self, db: Database, clock: Clock, jobs: Sequence[Job], owner: str, *, lease: timedelta = DEFAULT_LEASE
    ) -> None:
        self.db, self.clock, self.jobs, self.owner, self.lease = db, clock, list(jobs), owner, lease

    def tick(self, now: datetime | None = None) -> list[str]:
        """Run each due job this worker can claim; returns the names of the jobs it ran."""
        now = now or self.clock.now()
        ran = []
        for job in self.jobs:
            self._ensure(job, now)
            if not self._claim(job, now):
                continue
            outcome, error = "ok", None
            try:
                with self._heartbeat(job):
                    job.run()
            except Exception as exc:  # a failed job is recorded and retried; the worker itself keeps going
                log.exception("job %s failed", job.name)
                outcome, error = "failed", f"{type(exc).__name__}: {exc}"[:500]
            self._release(job, outcome, error)
            ran.append(job.name)
        return ran

    def wake(self, name: str) -> datetime:
        """Make a job due now (e.g. "sweep now" from the API); the next tick of any worker runs it.

        Wake after committing what the run is for (a mailing started), or a worker may run before it is there.
        A wake while the job runs is kept: the run ends with the job still due (see `_release`), so what the
        wake asked for is not left until the job's next scheduled time.
        """
        job = next(j for j in self.jobs if j.name == name)
        now = self.clock.now()
        self._ensure(job, now)
        with self.db.transaction() as session:
            session.execute(update(JobRun).where(JobRun.name == name).values(due_at=now))
        return now

    def _ensure(self, job: Job, now: datetime) -> None:
        with self.db.transaction() as session:
            if session.get(JobRun, job.name) is None:
                _insert_missing(session, job.name, job.next_due(now))

    def _claim(self, job: Job, now: datetime) -> bool:
        with self.db.transaction() as session:
            claimed = session.scalar(
                update(JobRun)
                .where(
                    JobRun.name == job.name,
                    JobRun.due_at <= now,
                    or_(JobRun.lease_owner.is_(None), JobRun.lease_expires_at < now),
                )
                .values(lease_owner=self.owner, lease_expires_at=now + self.lease, last_started_at=now)
                .returning(JobRun.name)
            )
        return claimed is not None

    @contextmanager
    def _heartbeat(self, job: Job) -> Iterator[None]:
        """Renew the job's lease every lease/BEATS_PER_LEASE while the block runs (from a thread of its own)."""
        stop = threading.Event()
        interval = self.lease.total_seconds() / BEATS_PER_LEASE

        def beat() -> None:
            while not stop.wait(interval):
                try:
                    self.renew(job.name)
                except Exception:  # the database briefly away: the next beat tries again, the lease has room
                    log.exception("renewing the lease of job %s failed", job.name)

        thread = threading.Thread(target=beat, name=f"custos-lease-{job.name}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def renew(self, name: str) -> bool:
        """Push this worker's lease on `name` out by another lease length; False when it no longer holds it."""
        with self.db.transaction() as session:
            renewed = session.scalar(
                update(JobRun)
                .where(JobRun.name == name, JobRun.lease_owner == self.owner)
                .values(lease_expires_at=self.clock.now() + self.lease)
                .returning(JobRun.name)
            )
        return renewed is not None

    def _release(self, job: Job, outcome: str, error: str | None) -> None:
        finished = self.clock.now()
        due = job.next_due(finished) if outcome == "ok" else finished + RETRY_AFTER
        with self.db.transaction() as session:
            session.execute(
                update(JobRun)
                .where(JobRun.name == job.name, JobRun.lease_owner == self.owner)
                .values(
                    lease_owner=None,
                    lease_expires_at=None,
                    # Woken during this run (due again after it started): due as woken, not as scheduled.
                    due_at=case((JobRun.due_at > JobRun.last_started_at, JobRun.due_at), else_=due),
                    last_finished_at=finished,
                    last_outcome=outcome,
                    last_error=error,
                    runs=JobRun.runs + 1,
                )
            )


def _insert_missing(session: Session, name: str, due_at: datetime) -> None:
    """Insert the job's row unless another worker just did (both dialects: ON CONFLICT DO NOTHING)."""
    dialect = session.get_bind().dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {"name": name, "due_at": due_at, "runs": 0}
    session.execute(make(JobRun).values(**values).on_conflict_do_nothing(index_elements=["name"]))


def job_state(db: Database) -> list[JobRun]:
    with db.transaction() as session:
        return list(session.scalars(select(JobRun).order_by(JobRun.name)))
