"""The jobs Custos schedules, built from a runtime; the same functions run in any worker."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from custos.actor import Actor
from custos.incidents import reminders as incident_reminders
from custos.invariants import doctor
from custos.invariants.finding import InvariantContext
from custos.jobs.scheduler import Job, Scheduler, daily_at
from custos.mail import mailer_for
from custos.mailings import sending as mailings
from custos.register import uploads
from custos.requests import driver as request_driver
from custos.requests import reminders as request_reminders
from custos.retention.sweep import JOB_NAME as SWEEP_JOB
from custos.retention.sweep import run_sweep
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


def default_jobs(runtime: Runtime) -> list[Job]:
    def sweep() -> None:
        # Art. 5(1)(e): storage limitation is enforced every day, not when someone remembers.
        run_sweep(runtime, Actor.system(RETENTION_SWEEP), trigger="job", systems=SystemSteps(runtime))

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
        request_driver.drive_open(runtime)

    def request_reminders_due() -> None:
        # Art. 12(3): the assignee hears 7 days and 1 day before the month is up.
        request_reminders.send_due_reminders(runtime)

    def drive_imports() -> None:
        # A confirmed CSV import is run (or taken up again after a crash); uploads past their expiry are deleted.
        uploads.drive_all(runtime)

    def send_mailings() -> None:
        # Started mailings are sent here, not in the request that started them: a restart mid-send only delays
        # the rest, which the next run sends (each row says whether its message went out).
        mailings.send_started(runtime, mailer_for(runtime.settings, runtime.policy), runtime.settings.base_url)

    def check_promises() -> None:
        # Every promise checked on the whole register once a day, after the sweep, so the dashboard can show the
        # register-wide ones as of this run instead of walking a million people per page view.
        with runtime.work(Actor.system(DOCTOR)) as work:
            doctor.run_doctor(work, InvariantContext.of(runtime))

    sweep_hour = runtime.settings.retention_sweep_hour
    return [
        Job(RETENTION_SWEEP, daily_at(sweep_hour), sweep),
        Job(DOCTOR, daily_at((sweep_hour + 1) % 24), check_promises),
        Job(INCIDENT_REMINDERS, hourly, reminders),
        Job(REQUESTS_DRIVE, hourly, drive_requests),
        Job(REQUEST_REMINDERS, hourly, request_reminders_due),
        Job(SYSTEMS_RETRY, hourly, systems_retry),
        Job(IMPORTS_DRIVE, uploads.next_due, drive_imports),
        Job(MAILINGS_SEND, hourly, send_mailings),
    ]


def hourly(after: datetime) -> datetime:
    """At the start of every hour (UTC)."""
    return after.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def worker_name() -> str:
    """Unique per process, readable in `job_run.lease_owner`: host, pid and a random suffix."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def scheduler_for(runtime: Runtime) -> Scheduler:
    return Scheduler(runtime.db, runtime.clock, default_jobs(runtime), worker_name())


def wake_after_commit(work: Work, runtime: Runtime, name: str) -> None:
    """Make the job due once `work` has committed what it is to run for (a mailing started, a sweep asked for):
    a worker woken earlier could run before that is there, and then not again until the job's next time."""

    def wake() -> None:
        scheduler_for(runtime).wake(name)

    work.after_commit(wake)
