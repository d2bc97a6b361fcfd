"""The worker loop: tick the scheduler every `interval` seconds until stopped.

Embedded: `custos serve` runs it in a daemon thread next to the web server (setting `worker = on`).
Separate: `custos worker` runs the same loop in the foreground (`run_jobs`); run as many as wanted, the
lease in `job_run` lets one of them run each job, and with `queue = procrastinate` each also takes the jobs'
tasks from the shared queue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from custos.jobs.registry import scheduler_for
from custos.jobs.scheduler import DEFAULT_LEASE, Scheduler
from custos.jobs.tasks import default_tasks
from custos.retention.sweep import BeforeCommit
from custos.runtime import Runtime

log = logging.getLogger("custos.jobs")

INTERVAL = 30.0


class Worker:
    def __init__(self, scheduler: Scheduler, interval: float = INTERVAL) -> None:
        self.scheduler = scheduler
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        """Tick now and then every `interval` seconds, until `stop()`."""
        while True:
            try:
                self.scheduler.tick()
            except Exception:  # e.g. the database is briefly unreachable: try again next tick
                log.exception("scheduler tick failed")
            if self._stop.wait(self.interval):
                return

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="custos-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the loop to end and wait for a running job to reach the end of its current step."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


def run_jobs(
    runtime: Runtime,
    *,
    interval: float = INTERVAL,
    once: bool = False,
    concurrency: int = 1,
    lease: timedelta = DEFAULT_LEASE,
    before_commit: BeforeCommit | None = None,
    say: Callable[[str], None] = log.info,
) -> list[str]:
    """What `custos worker` runs: the scheduler's ticks and, with `queue = procrastinate`, a procrastinate
    worker taking the jobs' tasks (the scheduler then ticks in a thread beside it). `once`: tick once, run
    the tasks that leaves in the queue, and return the jobs that ran. Otherwise runs until Ctrl-C or SIGTERM.
    `before_commit` is the sweep's test-only pause (tests/jobs/paused_worker.py)."""
    scheduler = scheduler_for(runtime, lease=lease, before_commit=before_commit)
    if runtime.settings.queue != "procrastinate":
        if once:
            return scheduler.tick()
        say(f"worker {scheduler.owner} ticking every {interval:g} s; Ctrl-C stops it")
        Worker(scheduler, interval).run()
        return []
    from custos.jobs import procrastinate_queue

    procrastinate_queue.require_schema(runtime.db.engine)
    tasks = default_tasks(before_commit=before_commit)
    if once:
        ran = scheduler.tick()
        procrastinate_queue.run_worker(
            runtime, tasks, name=scheduler.owner, concurrency=concurrency, wait=False, say=say
        )
        return ran
    ticking = Worker(scheduler, interval)
    ticking.start()
    say(
        f"worker {scheduler.owner} ticking every {interval:g} s and taking tasks from the procrastinate queue "
        f"({concurrency} at a time); Ctrl-C or SIGTERM stops it"
    )
    try:
        procrastinate_queue.run_worker(runtime, tasks, name=scheduler.owner, concurrency=concurrency, say=say)
    finally:
        ticking.stop()
    return []
