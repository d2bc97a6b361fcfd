"""Test-only entry point: `python tests/retention/paused_sweep.py N` runs the sweep as `custos retention sweep
--yes --batch 2` does, and pauses it at a known point so the test can kill -9 it there.

Once N tasks have been committed, the next batch does all its work (deletes, tombstones, audit events, task
states) and then, before committing, prints MARKER to stderr and sleeps — the transaction open — until killed.
The hook is handed to `run_sweep` here; nothing in `custos` reads a variable for it.
"""

from __future__ import annotations

import os
import sys
import time

from custos.actor import Actor
from custos.retention.sweep import BeforeCommit, run_sweep
from custos.retention.systems_step import SystemSteps
from custos.runtime import open_runtime
from custos.settings import load_settings

MARKER = "custos-test: sweep paused"


def pause_after(tasks: int) -> BeforeCommit:
    paused = False

    def before_commit(committed: int) -> None:
        nonlocal paused
        if not paused and committed >= tasks:
            paused = True
            print(f"{MARKER} after {committed} tasks", file=sys.stderr, flush=True)
            time.sleep(3600)

    return before_commit


def main() -> None:
    runtime = open_runtime(load_settings(os.environ))
    try:
        run_sweep(
            runtime,
            Actor.system("test-sweep"),
            trigger="cli",
            batch=2,
            systems=SystemSteps(runtime),
            before_commit=pause_after(int(sys.argv[1])),
        )
    finally:
        runtime.close()


if __name__ == "__main__":
    main()
