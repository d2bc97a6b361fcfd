"""`exclusive(engine, key)`: one runner at a time for a named piece of work, across every worker process.

The jobs' tasks (a bucket of a sweep's people, a request's drive, a slice of a mailing) are each safe to run
twice, but not side by side with themselves: two drivers of one request would call its systems at once. So a
task first takes its key here, and a worker that finds the key taken leaves the work to the one holding it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, text


@dataclass
class _Local:
    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0


# SQLite's process-local locks by key, each dropped when its last user leaves (keys name requests, slices…).
_local: dict[str, _Local] = {}
_local_guard = threading.Lock()


@contextmanager
def exclusive(engine: Engine, key: str, *, wait: bool = False) -> Iterator[bool]:
    """True inside the block when this process alone now runs the work named `key`; False when another
    worker is running it (the caller then leaves it to that one). With `wait`, waits for that one to end
    instead, and is then always True.

    PostgreSQL: a session advisory lock on a connection of its own, held for the block. A worker killed with
    kill -9 loses its connection and with it the lock, at once: nothing waits for a lease to run out.
    SQLite (the embedded installation's one worker thread): a lock in this process; SQLite's single writer
    and the rows' own states keep a second process (a CLI command) from doing anything twice.
    """
    if engine.dialect.name != "postgresql":
        key = f"{engine.url}|{key}"  # one database's work, not another's that this process also opened
        with _local_guard:
            entry = _local.setdefault(key, _Local())
            entry.users += 1
        try:
            if not entry.lock.acquire(blocking=wait):
                yield False
                return
            try:
                yield True
            finally:
                entry.lock.release()
        finally:
            with _local_guard:
                entry.users -= 1
                if entry.users == 0:
                    del _local[key]
        return
    connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        take = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
        held = connection.scalar(text(f"SELECT {take}(hashtextextended(:key, 0))"), {"key": key}) is not False
        try:
            yield held
        finally:
            if held:
                try:
                    connection.scalar(text("SELECT pg_advisory_unlock(hashtextextended(:key, 0))"), {"key": key})
                except Exception:  # never hand a connection still holding the lock back to the pool
                    connection.invalidate()
                    raise
    finally:
        connection.close()
