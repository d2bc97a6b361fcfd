"""The tasks Custos's jobs are split into, by name: the same functions run in-process and in `custos worker`.

- `retention.drive-bucket(sweep_id, bucket)`: erase one bucket of a planned sweep's people
  (`retention.sweep.drive_bucket`; the daily sweep defers one per bucket).
- `requests.drive(ref)`: drive one open request on (`requests.driver.drive_request`; the hourly
  requests-drive job defers one per open request).
- `mailings.send-slice(mailing_id, slice_no)`: send one slice of a started mailing
  (`mailings.sending.send_slice`; the mailings-send job defers one per slice with rows left).

Each takes its piece of work exclusively (`custos.db.exclusive`), so a second deferral of it, or a job's run
while a worker is still on it, leaves it to the worker already there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from custos.db.exclusive import exclusive
from custos.jobs.queue import Task
from custos.mail import mailer_for
from custos.mailings import sending as mailings
from custos.requests import driver as request_driver
from custos.retention.sweep import BeforeCommit, drive_bucket
from custos.retention.systems_step import SystemSteps
from custos.runtime import Runtime

SWEEP_BUCKET = "retention.drive-bucket"
REQUEST_DRIVE = "requests.drive"
MAILING_SLICE = "mailings.send-slice"


def default_tasks(*, before_commit: BeforeCommit | None = None) -> dict[str, Task]:
    """Every task by name. `before_commit` is the sweep's test-only pause (see tests/jobs/paused_worker.py)."""

    def sweep_bucket(runtime: Runtime, sweep_id: int, bucket: int) -> None:
        # Art. 5(1)(e): the people of a planned sweep are erased by whichever workers are free.
        drive_bucket(runtime, sweep_id, bucket, systems=SystemSteps(runtime), before_commit=before_commit)

    def request(runtime: Runtime, ref: str) -> None:
        # Art. 12(3): a request is driven on by the first free worker; one worker at a time per request.
        with exclusive(runtime.db.engine, f"request:{ref}") as mine:
            if mine:
                request_driver.drive_request(runtime, ref)

    def mailing_slice(runtime: Runtime, mailing_id: int, slice_no: int) -> None:
        mailer = mailer_for(runtime.settings, runtime.policy)
        mailings.send_slice(runtime, mailer, mailing_id, slice_no, runtime.settings.base_url)

    tasks = [
        Task(SWEEP_BUCKET, sweep_bucket, _key("retention-sweep", "sweep_id", "bucket")),
        Task(REQUEST_DRIVE, request, _key("request", "ref")),
        Task(MAILING_SLICE, mailing_slice, _key("mailing", "mailing_id", "slice_no")),
    ]
    return {task.name: task for task in tasks}


def _key(kind: str, *names: str) -> Callable[[Mapping[str, Any]], str]:
    def key(args: Mapping[str, Any]) -> str:
        return ":".join([kind, *(str(args[name]) for name in names)])

    return key
