"""What every benchmark needs besides its own measurement: the machine's facts, peak memory, PostgreSQL."""

from __future__ import annotations

import os
import platform
import resource
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from rich.console import Console
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def machine(pg_version: str | None) -> dict[str, str]:
    """The facts a reader needs to compare figures between runs."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    return {
        "cpus (nproc)": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version or "not measured",
    }


def reset_peak_rss() -> bool:
    """Linux ≥ 4.0 resets VmHWM (peak RSS) on writing 5 to clear_refs; then the peak is the measurement's own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def rss_kib(field: str) -> int | None:
    """`VmRSS` or `VmHWM` of this process, in KiB, or None where /proc does not tell."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def peak_kib() -> int:
    """This process's peak resident memory so far, in KiB."""
    return rss_kib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class _Server(Protocol):
    admin: Engine

    def version(self) -> str: ...


S = TypeVar("S", bound=_Server)


def find_postgres(console: Console, server_for: Callable[[str], S]) -> S | None:
    """The PostgreSQL server of CUSTOS_TEST_POSTGRES_URL, or None with a skip line (an exit in CI) if it is down."""
    url = os.environ.get("CUSTOS_TEST_POSTGRES_URL", DEFAULT_PG).replace("postgresql://", "postgresql+psycopg://", 1)
    server = server_for(url)
    try:
        server.version()
    except Exception as exc:
        server.admin.dispose()
        where = make_url(url).render_as_string(hide_password=True)
        message = f"PostgreSQL server {where} is unreachable ({type(exc).__name__}); set CUSTOS_TEST_POSTGRES_URL"
        if os.environ.get("CI") == "true":
            raise SystemExit(f"error: {message}") from None
        console.print(f"[yellow]skip:[/] {message} — benchmarking SQLite only")
        return None
    return server


def timed(action: Callable[[], Any]) -> float:
    """Milliseconds one call of `action` takes."""
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank value at fraction `q` (0.5: the median, 0.99: p99) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class PeakConnections:
    """The PostgreSQL backends (server processes) that worked for `databases` while the block ran: those busy
    or whose state changed since it began (pg_stat_activity), so that idle connections left in a pool by an
    earlier measurement do not count. Sampled every `every` seconds through `admin` (connected to another
    database) and kept at its highest, so backends that disconnect before the end still count.

        with PeakConnections(server.admin, ["custos_bench"]) as peak:
            ...
        peak.most
    """

    def __init__(self, admin: Engine, databases: list[str], every: float = 0.05) -> None:
        self.admin, self.databases, self.every = admin, databases, every
        self.most = 0
        self._stop = threading.Event()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakConnections:
        self._thread.start()
        self._started.wait()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        query = text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = ANY(:names) "
            "AND (state IS DISTINCT FROM 'idle' OR state_change >= :since)"
        )
        try:
            connection = self.admin.connect()
            since = connection.execute(text("SELECT clock_timestamp()")).scalar()
        finally:
            self._started.set()  # __enter__ waits for `since`; an error here must not leave it waiting
        with connection:
            while True:
                stopping = self._stop.wait(self.every)
                # pg_stat_activity is a snapshot per transaction; the admin engine autocommits each statement.
                now = int(connection.execute(query, {"names": self.databases, "since": since}).scalar() or 0)
                self.most = max(self.most, now)
                if stopping:
                    return
