"""The jobs Custos schedules, built from a runtime; the same functions run in any worker.

A job whose work can be shared hands it on as tasks (`custos.jobs.tasks`) through the queue the settings
choose (`queue_for`): the daily sweep plans, then defers a task per bucket of people and drives alongside;
the hourly request drive defers a task per open request; sending the started mailings defers a task per
slice of deliveries. In-process those tasks run at once, in the job's own thread; with procrastinate, any
`custos worker` takes them.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from custos.actor import Actor
from custos.consent import months as consent_months
from custos.incidents import reminders as incident_reminders
from custos.invariants import doctor
from custos.invariants.finding import InvariantContext
from custos.jobs.queue import InProcessQueue, Task, TaskQueue
from custos.jobs.scheduler import DEFAULT_LEASE, Job, Scheduler, daily_at
from custos.jobs.tasks import MAILING_SLICE, REQUEST_DRIVE, SWEEP_BUCKET, default_tasks
from custos.mail import mailer_for
from custos.mailings import sending as mailings
from custos.register import uploads
from custos.requests import driver as request_driver
from custos.requests import reminders as request_reminders
from custos.retention.sweep import JOB_NAME as SWEEP_JOB
from custos.retention.sweep import BeforeCommit, run_sweep
from custos.retention.systems_step import SystemSteps
from custos.runtime import Runtime
from custos.work import Work

RETENTION_SWEEP = SWEEP_JOB
SYSTEMS_RETRY = "systems-retry"
INCIDENT_REMINDERS = incident_reminders.JOB_NAME
REQUESTS_DRIVE = request_driver.JOB_NAME
REQUEST_REMINDERS = request_reminders.JOB_NAME
IMPORTS_DRIVE = uploads.JOB_NAME
DOCTOR = doctor.JOB_NAME
MAILINGS_SEND = mailings.JOB_NAME
QUEUE_STALLED = "queue-stalled"
CONSENT_MONTHS = consent_months.JOB_NAME
_QUEUE = "custos.jobs.queue"


def queue_for(runtime: Runtime) -> TaskQueue:
    """The runtime's task queue, as the setting `queue` says; made once, closed with the runtime."""

    def make() -> TaskQueue:
        return make_queue(runtime, default_tasks())

    return runtime.held(_QUEUE, make)


def make_queue(runtime: Runtime, tasks: dict[str, Task]) -> TaskQueue:
    if runtime.settings.queue == "procrastinate":
        from custos.jobs.procrastinate_queue import ProcrastinateQueue

        return ProcrastinateQueue(runtime.settings, tasks)
    return InProcessQueue(runtime, tasks)


def default_jobs(
    runtime: Runtime, queue: TaskQueue | None = None, *, before_commit: BeforeCommit | None = None
) -> list[Job]:
    """The scheduled jobs; those that split their work defer it into `queue` (by default the runtime's).
    `before_commit` is the sweep's test-only pause (see tests/jobs/paused_worker.py)."""
    tasks = queue if queue is not None else queue_for(runtime)

    def sweep() -> None:
        # Art. 5(1)(e): storage limitation is enforced every day, not when someone remembers. The job plans the
        # sweep and hands its buckets to the queue, driving what no other worker has taken.
        def fan_out(sweep_id: int, buckets: list[int]) -> None:
            for bucket in buckets:
                tasks.defer(SWEEP_BUCKET, sweep_id=sweep_id, bucket=bucket)

        run_sweep(
            runtime,
            Actor.system(RETENTION_SWEEP),
            trigger="job",
            systems=SystemSteps(runtime),
            before_commit=before_commit,
            fan_out=fan_out,
        )

    def reminders() -> None:
        # Art. 33(1): the 24/48/60 h reminders of the 72-hour clock; each is sent once (marked on the incident).
        incident_reminders.send_due_reminders(runtime)

    def systems_retry() -> None:
        # A failed erasure in a connected system is tried again every hour until it succeeds (Art. 17(1)).
        from custos.systems.runs import retry_failed

        retry_failed(runtime)

    def drive_requests() -> None:
        # A request left mid-way (a crash, a failed or manual system) is driven on until it is done, so it is
        # still answered within the month (Art. 12(3)); its steps are idempotent, so driving it again repeats none.
        # One task per request: workers drive different requests side by side.
        request_driver.drive_open(runtime, defer=lambda ref: tasks.defer(REQUEST_DRIVE, ref=ref))

    def request_reminders_due() -> None:
        # Art. 12(3): the assignee hears 7 days and 1 day before the month is up.
        request_reminders.send_due_reminders(runtime)

    def drive_imports() -> None:
        # A confirmed CSV import is run (or taken up again after a crash); uploads past their expiry are deleted.
        uploads.drive_all(runtime)

    def send_mailings() -> None:
        # Started mailings are sent here, not in the request that started them: a restart mid-send only delays
        # the rest, which the next run sends (each row says whether its message went out). One task per slice.
        mailings.send_started(
            runtime,
            mailer_for(runtime.settings, runtime.policy),
            runtime.settings.base_url,
            defer=lambda mailing_id, slice_no: tasks.defer(MAILING_SLICE, mailing_id=mailing_id, slice_no=slice_no),
        )

    def check_promises() -> None:
        # Every promise checked on the whole register once a day, after the sweep, so the dashboard can show the
        # register-wide ones as of this run instead of walking a million people per page view.
        with runtime.work(Actor.system(DOCTOR)) as work:
            doctor.run_doctor(work, InvariantContext.of(runtime))

    def retry_stalled() -> None:
        # A task a killed worker left half-run is queued again once that worker has missed its heartbeats.
        from custos.jobs.procrastinate_queue import ProcrastinateQueue

        if isinstance(tasks, ProcrastinateQueue):
            tasks.retry_stalled()

    sweep_hour = runtime.settings.retention_sweep_hour
    jobs = [
        Job(RETENTION_SWEEP, daily_at(sweep_hour), sweep),
        Job(DOCTOR, daily_at((sweep_hour + 1) % 24), check_promises),
        # Consent proof past the policy's proof_retention goes by the month; the coming months are made ahead.
        Job(CONSENT_MONTHS, daily_at(sweep_hour), lambda: consent_months.drop_expired_consent_months(runtime)),
        Job(INCIDENT_REMINDERS, hourly, reminders),
        Job(REQUESTS_DRIVE, hourly, drive_requests),
        Job(REQUEST_REMINDERS, hourly, request_reminders_due),
        Job(SYSTEMS_RETRY, hourly, systems_retry),
        Job(IMPORTS_DRIVE, uploads.next_due, drive_imports),
        Job(MAILINGS_SEND, hourly, send_mailings),
    ]
    if runtime.settings.queue == "procrastinate":
        jobs.append(Job(QUEUE_STALLED, every_minutes(5), retry_stalled))
    return jobs


def hourly(after: datetime) -> datetime:
    """At the start of every hour (UTC)."""
    return after.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def every_minutes(minutes: int) -> Callable[[datetime], datetime]:
    """At every whole `minutes` of the hour (UTC)."""

    def next_due(after: datetime) -> datetime:
        start = after.replace(minute=after.minute - after.minute % minutes, second=0, microsecond=0)
        return start + timedelta(minutes=minutes)

    return next_due


def worker_name() -> str:
    """Unique per process, readable in `job_run.lease_owner`: host, pid and a random suffix."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def scheduler_for(
    runtime: Runtime,
    *,
    queue: TaskQueue | None = None,
    lease: timedelta = DEFAULT_LEASE,
    before_commit: BeforeCommit | None = None,
) -> Scheduler:
    jobs = default_jobs(runtime, queue, before_commit=before_commit)
    return Scheduler(runtime.db, runtime.clock, jobs, worker_name(), lease=lease)


def wake_after_commit(work: Work, runtime: Runtime, name: str) -> None:
    """Make the job due once `work` has committed what it is to run for (a mailing started, a sweep asked for):
    a worker woken earlier could run before that is there, and then not again until the job's next time."""

    def wake() -> None:
        scheduler_for(runtime).wake(name)

    work.after_commit(wake)
