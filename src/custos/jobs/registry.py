"""The jobs Custos schedules, built from a runtime; the same functions run in any worker."""

from __future__ import annotations

import os
import socket
import uuid

from custos.actor import Actor
from custos.jobs.scheduler import Job, Scheduler, daily_at
from custos.retention.sweep import run_sweep
from custos.runtime import Runtime

RETENTION_SWEEP = "retention-sweep"


def default_jobs(runtime: Runtime) -> list[Job]:
    def sweep() -> None:
        # Art. 5(1)(e): storage limitation is enforced every day, not when someone remembers.
        run_sweep(runtime.db, runtime.policy, runtime.clock, Actor.system(RETENTION_SWEEP), trigger="job")

    return [Job(RETENTION_SWEEP, daily_at(runtime.settings.retention_sweep_hour), sweep)]


def worker_name() -> str:
    """Unique per process, readable in `job_run.lease_owner`: host, pid and a random suffix."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def scheduler_for(runtime: Runtime) -> Scheduler:
    return Scheduler(runtime.db, runtime.clock, default_jobs(runtime), worker_name())
