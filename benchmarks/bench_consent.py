"""Consent-record ingestion: POST /consent/records under load on loopback, against a bare FastAPI endpoint.

For each backend (SQLite, and PostgreSQL when its server answers) the script starts two uvicorn servers in
turn, each with the same settings (h11, no access log, `--workers` worker processes on PostgreSQL, where
`make bench` asks for 4 as a deployment runs, and `--sqlite-workers` on SQLite, one by default: SQLite has
one writer at a time, so more processes only queue for its lock); each worker process has its own consent
writer, so on PostgreSQL the records of 4 processes are committed by 4 writers side by side:
- bare: a FastAPI app whose one endpoint takes the same POST and answers 204, touching nothing;
- consent: Custos's app on a freshly initialised database, rate limits raised out of the way
  (`app.state.consent_limits`), so every request validates the body, has its `consent_record` row committed
  (by the app's consent writer, which commits the records waiting at the same moment together; each request
  is answered only once its own record is committed) and sets the consent cookie: the whole path a banner's
  choice takes.
A load generator in this process (asyncio, raw HTTP/1.1 keep-alive, `--concurrency` connections) sends up to
`--requests` requests, or for at most `--seconds`, after a short warm-up. Each request is a first visit (no
cookie), alternately Accept all and Reject all. It does so in `--rounds` rounds that alternate bare and consent
(so a change in the machine's other load falls on both), and reports records/s, p50/p99 latency and the median
of the rounds' consent ÷ bare throughput (the issue's goal: at least 0.5), and checks that the table holds
exactly one row per 201. On PostgreSQL it also reports the most database backends that worked at once during
the consent runs (each worker process holds its own connections), and the table is the month-partitioned one
of migration 0022.

Prints a table and replaces the "## Consent ingestion" section of benchmarks/RESULTS.md (other sections are
kept). Nothing here asserts a time: the figures are for people to read.

    python benchmarks/bench_consent.py [--requests N] [--concurrency C] [--seconds S] [--workers W]
                                       [--sqlite-workers W] [--rounds R] [--backends sqlite,postgresql]
                                       [--no-results]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI, Response
from rich.console import Console
from rich.table import Table as RichTable
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from common import PeakConnections, find_postgres, machine
from custos.app import create_app
from custos.consent.models import ConsentRecord
from custos.consent.ratelimit import RateLimiter
from custos.settings import Settings, load_settings
from custos.setup import initialise
from custos.web.consent import Limits
from results import RESULTS, write_section

HEADING = "## Consent ingestion"
BENCH_DB = "custos_bench_consent"
HERE = Path(__file__).resolve().parent
POLICY = HERE.parent / "examples" / "elastx" / "policy.yaml"
WARMUP = 200
UNLIMITED = 10**9
START_SECONDS = 180  # for every worker to import the app and start, on a machine others use as well

# -------------------------------------------------------------- the two servers (uvicorn app factories)


def bare_app() -> FastAPI:
    """The floor: FastAPI routing and a 204, no body parsing, no database."""
    app = FastAPI()

    @app.post("/consent/records", status_code=204)
    def record() -> Response:
        return Response(status_code=204)

    return app


def consent_app() -> FastAPI:
    """Custos's app on the database named in CUSTOS_BENCH_DATABASE_URL, rate limits raised for the bench."""
    app = create_app(_settings(os.environ["CUSTOS_BENCH_DATABASE_URL"], Path(os.environ["CUSTOS_BENCH_KEY_FILE"])))
    clock = app.state.runtime.clock
    app.state.consent_limits = Limits(
        RateLimiter(clock, capacity=UNLIMITED, per_second=UNLIMITED),
        RateLimiter(clock, capacity=UNLIMITED, per_second=UNLIMITED),
    )
    return app


def _settings(database_url: str, key_file: Path) -> Settings:
    overrides = {"database_url": database_url, "key_file": str(key_file), "policy_path": str(POLICY)}
    return load_settings({}, None, overrides=overrides)


def _initialise(database_url: str, key_file: Path) -> None:
    initialise(_settings(database_url, key_file))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(factory: str, workers: int, env: dict[str, str]) -> Iterator[int]:
    """One uvicorn server (its own process group) on a free loopback port, stopped on leaving.

    Ready once every worker process has said "Application startup complete" (uvicorn's info log, which holds
    nothing else with the access log off): with several workers the first to start would otherwise take the
    first requests alone, and on a busy machine importing the app takes a while."""
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", f"bench_consent:{factory}", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers), "--http", "h11", "--ws", "none"]
    command += ["--log-level", "info", "--no-access-log"]
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(command, cwd=HERE, env={**os.environ, **env}, stderr=log)
        try:
            deadline = time.monotonic() + START_SECONDS
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    sys.stderr.write(log.read())
                    raise SystemExit(f"error: the {factory} server exited with {process.returncode}")
                log.seek(0)
                if log.read().count("Application startup complete") >= workers:
                    try:
                        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                        break
                    except OSError:
                        pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"error: the {factory} server did not start within {START_SECONDS} s")
                time.sleep(0.1)
            yield port
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.seek(0)
            for line in log:
                if not line.startswith("INFO:"):
                    sys.stderr.write(line)


# -------------------------------------------------------------- the load generator


def _request(port: int, accept: bool) -> bytes:
    body = json.dumps({"choices": {"analytics": accept}, "method": "banner"}).encode()
    head = (
        f"POST /consent/records HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nUser-Agent: bench Firefox/140.0\r\nSec-Fetch-Site: same-origin\r\n\r\n"
    )
    return head.encode() + body


@dataclass
class Run:
    backend: str
    target: str  # bare | consent
    ok: int
    failed: int
    seconds: float
    latencies: list[float]  # seconds, one per request
    workers: int = 1  # uvicorn worker processes
    connections: int | None = None  # PostgreSQL: the most backends that worked at once

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000 if ordered else float("nan")


async def _load(port: int, total: int, concurrency: int, seconds: float) -> tuple[int, int, float, list[float]]:
    requests = (_request(port, True), _request(port, False))
    sent = 0
    ok = failed = 0
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def connection() -> None:
        nonlocal sent, ok, failed
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while sent < total and time.perf_counter() < deadline:
                payload = requests[sent % 2]
                sent += 1
                started = time.perf_counter()
                writer.write(payload)
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if length:
                    await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                if head[9:12] in (b"201", b"204"):
                    ok += 1
                else:
                    failed += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return ok, failed, time.perf_counter() - started, latencies


def measure(
    backend: str, target: str, port: int, args: argparse.Namespace, workers: int, server: Postgres | None
) -> Run:
    asyncio.run(_load(port, min(WARMUP, args.requests), min(args.concurrency, 8), args.seconds))
    if server is None or target == "bare":
        ok, failed, seconds, latencies = asyncio.run(_load(port, args.requests, args.concurrency, args.seconds))
        return Run(backend, target, ok, failed, seconds, latencies, workers)
    with PeakConnections(server.admin, [BENCH_DB]) as peak:
        ok, failed, seconds, latencies = asyncio.run(_load(port, args.requests, args.concurrency, args.seconds))
    return Run(backend, target, ok, failed, seconds, latencies, workers, peak.most)


# -------------------------------------------------------------- backends


class Postgres:
    """A scratch database, created fresh for the run and dropped at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.url = make_url(admin_url).set(database=BENCH_DB).render_as_string(hide_password=False)

    def version(self) -> str:
        with self.admin.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar())

    def fresh(self) -> str:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
        return self.url

    def drop(self) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        self.admin.dispose()


def stored(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(ConsentRecord)).scalar_one())
    finally:
        engine.dispose()


def bench_backend(
    backend: str, database_url: str, tmp: Path, args: argparse.Namespace, console: Console, server: Postgres | None
) -> list[Run]:
    workers = args.sqlite_workers if backend == "sqlite" else args.workers
    key_file = tmp / f"{backend}.key"
    _initialise(database_url, key_file)
    env = {"CUSTOS_BENCH_DATABASE_URL": database_url, "CUSTOS_BENCH_KEY_FILE": str(key_file)}
    runs = []
    # Rounds alternate bare and consent, so a change in the machine's other load falls on both alike.
    for round_no in range(1, args.rounds + 1):
        for target, factory in (("bare", "bare_app"), ("consent", "consent_app")):
            console.print(
                f"{backend}: round {round_no}/{args.rounds}, {target}, up to {args.requests:,} requests "
                f"on {args.concurrency} connections, {workers} worker process(es) …"
            )
            with serve(factory, workers, env) as port:
                runs.append(measure(backend, target, port, args, workers, server))
    rows = stored(database_url)
    expected = sum(r.ok for r in runs if r.target == "consent") + args.rounds * min(WARMUP, args.requests)
    if rows != expected:
        raise SystemExit(f"error: {backend} holds {rows} consent records, expected {expected}")
    return runs


# -------------------------------------------------------------- report


def table(runs: list[Run]) -> RichTable:
    out = RichTable(title="Consent ingestion (POST /consent/records) vs a bare 204 endpoint")
    for column in _COLUMNS:
        out.add_column(column, justify="left" if column in ("backend", "endpoint") else "right")
    for row in _rows(runs):
        out.add_row(*row)
    return out


_COLUMNS = ("backend", "endpoint", "processes", "requests", "failed", "records/s", "p50 ms", "p99 ms", "÷ bare")


def _ratios(runs: list[Run], backend: str) -> list[float]:
    """consent ÷ bare of each round (runs alternate bare, consent)."""
    bare = [r.rate for r in runs if r.backend == backend and r.target == "bare"]
    consent = [r.rate for r in runs if r.backend == backend and r.target == "consent"]
    return [c / b for b, c in zip(bare, consent, strict=True) if b]


def _rows(runs: list[Run]) -> list[list[str]]:
    rows = []
    for backend in dict.fromkeys(r.backend for r in runs):
        for target in ("bare", "consent"):
            mine = [r for r in runs if r.backend == backend and r.target == target]
            total = Run(backend, target, sum(r.ok for r in mine), sum(r.failed for r in mine), 0.0, [])
            total.seconds = sum(r.seconds for r in mine)
            total.latencies = [latency for r in mine for latency in r.latencies]
            ratio = ""
            if target == "consent" and (ratios := sorted(_ratios(runs, backend))):
                ratio = f"{statistics.median(ratios):.2f} ({ratios[0]:.2f}–{ratios[-1]:.2f})"
            peaks = [r.connections for r in mine if r.connections is not None]
            processes = f"{mine[0].workers}" + (f" ({max(peaks)} PG backends)" if peaks else "") if mine else ""
            rows.append(
                [
                    backend,
                    target,
                    processes,
                    f"{total.ok + total.failed:,}",
                    f"{total.failed:,}",
                    f"{total.rate:,.0f}",
                    f"{total.percentile(50):.1f}",
                    f"{total.percentile(99):.1f}",
                    ratio,
                ]
            )
    return rows


def section(runs: list[Run], args: argparse.Namespace, machine: dict[str, str]) -> str:
    lines = [
        f"`python benchmarks/bench_consent.py --requests {args.requests} --concurrency {args.concurrency} "
        f"--workers {args.workers} --sqlite-workers {args.sqlite_workers} --rounds {args.rounds}` "
        f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC): one uvicorn server per endpoint (h11) with {args.workers} "
        f"worker process(es) on PostgreSQL and {args.sqlite_workers} on SQLite (the processes column; for consent "
        "on PostgreSQL also the most database backends that worked at once), the load generator on loopback in the "
        f"benchmark's process, {args.rounds} rounds alternating bare and consent. Goal: consent ÷ bare ≥ 0.5.",
        "",
        "Requests, records/s and latencies are over all rounds; ÷ bare is the median of the rounds' ratios (lowest–"
        "highest in brackets): the load generator, the server and PostgreSQL share the machine's cores with "
        "whatever else runs, so single rounds vary.",
        "",
        "| " + " | ".join(_COLUMNS) + " |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(runs)]
    lines += ["", "Machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()) + "."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=10_000, help="requests per endpoint (after a warm-up)")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent keep-alive connections")
    parser.add_argument("--seconds", type=float, default=20.0, help="at most this long per endpoint")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes on PostgreSQL")
    parser.add_argument("--sqlite-workers", type=int, default=1, help="uvicorn worker processes on SQLite")
    parser.add_argument("--rounds", type=int, default=3, help="alternating bare/consent rounds per backend")
    parser.add_argument(
        "--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql (when it answers)"
    )
    parser.add_argument("--no-results", action="store_true", help="do not rewrite benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 120)
    wanted = {name.strip() for name in args.backends.split(",")}
    server = find_postgres(console, Postgres) if "postgresql" in wanted else None
    runs: list[Run] = []
    pg_version = None
    try:
        with tempfile.TemporaryDirectory(prefix="custos-bench-consent-") as tmp:
            backends = {"sqlite": f"sqlite:///{Path(tmp) / 'consent.db'}"} if "sqlite" in wanted else {}
            if server is not None:
                backends["postgresql"] = server.fresh()
                pg_version = server.version()
            for backend, url in backends.items():
                runs += bench_backend(backend, url, Path(tmp), args, console, server if backend != "sqlite" else None)
    finally:
        if server is not None:
            server.drop()
    console.print(table(runs))
    if not args.no_results:
        write_section(HEADING, section(runs, args, machine(pg_version)))
        console.print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
