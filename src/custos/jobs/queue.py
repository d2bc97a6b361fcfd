"""Tasks: the parts a job is split into, deferred by name and run by whichever worker takes them.

A job (the daily sweep, the hourly request drive, sending the started mailings) is a wake-up that finds the
work in rows; a *task* is one piece of that work — drive this sweep's pending people, drive request R, send
this slice of a mailing — that any number of workers can share. Every task function has the shape
`fn(runtime, **args)` with JSON-able arguments, and is safe to run twice or side by side with itself: what it
does is decided by rows it claims (SKIP LOCKED, a delivery's status, a request task's state), never by the
fact that it was deferred. So a task lost with a killed worker is only late: the job's next run defers it again.

Two queues run the same functions (setting `queue`):

- `InProcessQueue` (the default, SQLite's only choice): `defer` runs the task at once, in the thread that
  defers it — the worker thread of `custos serve` or a `custos worker` — one task after another.
- `ProcrastinateQueue` (`custos.jobs.procrastinate_queue`, PostgreSQL): `defer` inserts a job into
  procrastinate's queue; every `custos worker` process takes jobs from it.

Defer after the commit of what the task is for (`defer_after_commit`): a worker could otherwise take the task
before the rows it needs are there, find nothing, and the work waits until the job's next run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from custos.work import Work

if TYPE_CHECKING:
    from custos.runtime import Runtime

log = logging.getLogger("custos.jobs")


@dataclass(frozen=True)
class Task:
    """A task function and its name in the queue.

    `once_per` names the work a deferral is for (`request:R`): while one deferral of it is still waiting, a
    second is not queued (procrastinate's queueing lock), so an hourly job does not pile up copies of a task a
    busy queue has not reached yet.
    """

    name: str
    run: Callable[..., object]  # run(runtime, **args)
    once_per: Callable[[Mapping[str, Any]], str] | None = None


class TaskQueue(Protocol):
    def defer(self, name: str, **args: Any) -> None:
        """Have task `name` run with `args`, now or by some worker soon; never raises for the task's failure."""
        ...

    def close(self) -> None: ...


class InProcessQueue:
    """Runs each task at once, in the deferring thread: the embedded installation's worker thread does the
    jobs and their tasks one after another, as SQLite (one writer at a time) would have it anyway."""

    def __init__(self, runtime: Runtime, tasks: Mapping[str, Task]) -> None:
        self.runtime, self.tasks = runtime, dict(tasks)

    def defer(self, name: str, **args: Any) -> None:
        task = self.tasks[name]  # an unknown name is a programming error, raised at once
        try:
            task.run(self.runtime, **args)
        except Exception:  # as in a queue: a failed task is logged, its rows say what is left for the next run
            log.exception("task %s %r failed", name, args)

    def close(self) -> None:
        pass


def defer_after_commit(work: Work, queue: TaskQueue, name: str, **args: Any) -> None:
    """Defer `name` once `work` has committed, and never if it rolls back."""
    work.after_commit(lambda: queue.defer(name, **args))
