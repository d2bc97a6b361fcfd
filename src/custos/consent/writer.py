"""Group commit for consent records: one writer thread appends every waiting choice in one transaction.

Each banner choice used to take its own transaction from a worker thread. Under load 32 of them queued for
SQLite's single write lock (whose busy handler sleeps, so the slowest waited over a second) or for a pooled
PostgreSQL connection, and each paid a commit of its own. Here the request checks the choice, hands it to the
writer and waits; the writer takes everything queued while the previous commit ran (no added delay when the
load is light, bigger batches when it is heavy) and commits it at once. Nobody is answered before their record
is committed: the cookie and the 201 mean the proof exists (GDPR Art. 7(1)); if a batch fails, each of its
records is retried in a transaction of its own, so one bad record costs no one else their answer.

Answers go back to an event loop once per batch, not once per record: each wake-up of a loop from this thread
lets go of the GIL, and getting it back behind the busy loop stalled the writer a few milliseconds per record.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

from custos.consent.service import VISITOR, Pending, Saved, write_many

if TYPE_CHECKING:
    from custos.runtime import Runtime

MAX_BATCH = 256

Outcome = Saved | BaseException


@dataclass
class _Job:
    pending: Pending
    # Exactly one of the two: a future for a thread that waits, or an event loop's future for a coroutine.
    done: Future[Saved] | None = None
    loop: asyncio.AbstractEventLoop | None = None
    waiter: asyncio.Future[Saved] | None = None


def _settle(outcomes: list[tuple[asyncio.Future[Saved], Outcome]]) -> None:
    """Runs in the waiters' event loop."""
    for waiter, outcome in outcomes:
        if waiter.done():  # the request gave up meanwhile; its record stays written
            continue
        if isinstance(outcome, BaseException):
            waiter.set_exception(outcome)
        else:
            waiter.set_result(outcome)


class ConsentWriter:
    """Started on the first record, stopped by `close()`; one per app (and so per process)."""

    def __init__(self, runtime: Runtime, *, max_batch: int = MAX_BATCH) -> None:
        self._runtime = runtime
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    async def write(self, pending: Pending) -> Saved:
        """Append a record; returns once it is committed, or raises the database's error."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Saved] = loop.create_future()
        self._put(_Job(pending, loop=loop, waiter=waiter))
        return await waiter

    def submit(self, pending: Pending) -> Future[Saved]:
        """Queue a record from a thread; the future resolves once it is committed, or fails with the error."""
        done: Future[Saved] = Future()
        self._put(_Job(pending, done=done))
        return done

    def _put(self, job: _Job) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the consent writer is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="custos-consent-writer", daemon=True)
                self._thread.start()
            self._queue.put(job)

    def close(self) -> None:
        """Write what is queued, then stop."""
        with self._lock:
            self._closed = True
            thread = self._thread
            if thread is not None:
                self._queue.put(None)
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                    break
                batch.append(job)
            # A thread that cancelled its future gave up before the write: its record is not written.
            batch = [job for job in batch if job.done is None or job.done.set_running_or_notify_cancel()]
            self._answer(self._commit(batch))

    def _commit(self, batch: list[_Job]) -> list[tuple[_Job, Outcome]]:
        if not batch:
            return []
        try:
            # One unit per batch, by the visitors it writes for (each record says whose choice it is).
            with self._runtime.work(VISITOR) as work:
                saved = write_many(work, [job.pending for job in batch])
        except Exception as error:  # handed to the waiting requests, which report it
            if len(batch) == 1:
                return [(batch[0], error)]
            return [outcome for job in batch for outcome in self._commit([job])]
        return list(zip(batch, saved, strict=True))

    @staticmethod
    def _answer(outcomes: list[tuple[_Job, Outcome]]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Saved], Outcome]]] = {}
        for job, outcome in outcomes:
            if job.done is not None:
                _set(job.done, outcome)
            elif job.loop is not None and job.waiter is not None:
                by_loop.setdefault(job.loop, []).append((job.waiter, outcome))
        for loop, settled in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits for these answers any more
                loop.call_soon_threadsafe(_settle, settled)


def _set(done: Future[Saved], outcome: Outcome) -> None:
    if isinstance(outcome, BaseException):
        done.set_exception(outcome)
    else:
        done.set_result(outcome)
