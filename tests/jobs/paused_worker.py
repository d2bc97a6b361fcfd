"""Test-only entry point: `python tests/jobs/paused_worker.py N` is `custos worker` (the same `run_jobs`), with a
lease of a few seconds and the sweep paused at a known point, so a test can kill -9 it there.

Once a driver of the sweep (the job's own, or a task of it) has committed N tasks, its next batch does all its
work (deletes, tombstones, audit events, task states) and then, before committing, prints MARKER to stderr and
sleeps — the transaction open — until killed. The short lease lets another worker take the job over soon after
the kill instead of after the usual two minutes; nothing in `custos` reads a variable for either.
"""

from __future__ import annotations

import os
import sys
import threading
from datetime import timedelta

from custos.jobs.worker import run_jobs
from custos.retention.sweep import BeforeCommit
from custos.runtime import open_runtime
from custos.settings import load_settings

MARKER = "custos-test: worker paused"
LEASE = timedelta(seconds=3)


def pause_after(tasks: int) -> BeforeCommit:
    paused = threading.Event()
    guard = threading.Lock()

    def before_commit(committed: int) -> None:
        if committed < tasks:
            return
        with guard:
            first = not paused.is_set()
            paused.set()
        if first:
            print(f"{MARKER} after {committed} tasks", file=sys.stderr, flush=True)
            threading.Event().wait(3600)

    return before_commit


def main() -> None:
    runtime = open_runtime(load_settings(os.environ))
    try:
        run_jobs(runtime, interval=1.0, lease=LEASE, before_commit=pause_after(int(sys.argv[1])))
    finally:
        runtime.close()


if __name__ == "__main__":
    main()
