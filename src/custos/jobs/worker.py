"""The worker loop: tick the scheduler every `interval` seconds until stopped.

Embedded: `custos serve` runs it in a daemon thread next to the web server (setting `worker = on`).
Separate: `custos worker` runs the same loop in the foreground; run as many as wanted, the lease in
`job_run` lets one of them run each job.
"""

from __future__ import annotations

import logging
import threading

from custos.jobs.scheduler import Scheduler

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
