"""The jobs Custos schedules, built from a runtime; the same functions run in any worker."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from custos.actor import Actor
from custos.incidents import reminders as incident_reminders
from custos.jobs.scheduler import Job, Scheduler, daily_at
from custos.retention.sweep import run_sweep
from custos.runtime import Runtime

RETENTION_SWEEP = "retention-sweep"
INCIDENT_REMINDERS = incident_reminders.JOB_NAME


def default_jobs(runtime: Runtime) -> list[Job]:
    def sweep() -> None:
        # Art. 5(1)(e): storage limitation is enforced every day, not when someone remembers.
        run_sweep(runtime.db, runtime.policy, runtime.clock, Actor.system(RETENTION_SWEEP), trigger="job")

    def reminders() -> None:
        # Art. 33(1): the 24/48/60 h reminders of the 72-hour clock; each is sent once (marked on the incident).
        incident_reminders.send_due_reminders(runtime)

    return [
        Job(RETENTION_SWEEP, daily_at(runtime.settings.retention_sweep_hour), sweep),
        Job(INCIDENT_REMINDERS, hourly, reminders),
    ]


def hourly(after: datetime) -> datetime:
    """At the start of every hour (UTC)."""
    return after.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def worker_name() -> str:
    """Unique per process, readable in `job_run.lease_owner`: host, pid and a random suffix."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def scheduler_for(runtime: Runtime) -> Scheduler:
    return Scheduler(runtime.db, runtime.clock, default_jobs(runtime), worker_name())
