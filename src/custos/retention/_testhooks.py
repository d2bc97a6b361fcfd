"""A test-only pause, so a test can kill -9 a sweep at a known point. Inert unless the variable is set.

`CUSTOS_TEST_SWEEP_PAUSE_AFTER=N`: once N tasks have been committed by this process, the next batch does all
its work (deletes, tombstones, audit events, task states) and then, before committing, prints a marker line
to stderr and sleeps — the transaction open — until killed. It only ever delays; it changes no data.
"""

from __future__ import annotations

import os
import sys
import time

PAUSE_ENV = "CUSTOS_TEST_SWEEP_PAUSE_AFTER"
MARKER = "custos-test: sweep paused"


class PauseHook:
    def __init__(self) -> None:
        value = os.environ.get(PAUSE_ENV, "")
        self._after = int(value) if value.isdigit() else None
        self._committed = 0

    def before_commit(self) -> None:
        if self._after is not None and self._committed >= self._after:
            self._after = None
            print(f"{MARKER} after {self._committed} tasks", file=sys.stderr, flush=True)
            time.sleep(3600)

    def committed(self, tasks: int) -> None:
        self._committed += tasks
