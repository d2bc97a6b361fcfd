"""Audit log: append throughput through `record`, and verification of a long chain against hashlib alone.

For each backend (SQLite, and PostgreSQL when its server answers):
- append: events/s through `custos.audit.record` (validation, hash, insert), one event per transaction and in
  batches of 1000 per transaction, on a freshly migrated database, from one process;
- append from several processes (issue 16: ≥ 5,000 events/s from 8 processes, one event per transaction):
  `--processes` (default 8) spawned processes, each with its own `Database`, appending `--each` events
  (default 2,000) through `record` in a transaction each, all started on a barrier; total events/s until the
  last commit. On SQLite the writers take turns (`BEGIN IMMEDIATE`). Appends share no head: the seal of
  everything appended into blocks (`custos.audit.seal`) is timed afterwards;
- verify: a chain of N events (default 1,000,000) is built quickly with a bulk insert that uses the same
  hashing code as `record` (`custos.audit.chain`) and sealed into blocks by `seal`, then `custos.audit.verify`
  is timed, with each of `--workers` processes (default 1 and verify's own default), against hashlib alone:
  SHA-256 of exactly the same canonical bytes, already in memory, one digest per event, in one process. The
  ratio verify ÷ hashlib is the cost of reading the rows, rebuilding the bytes and the blocks' Merkle trees
  (goal ≤ 3×). A third figure, reading the same rows without hashing, shows how much of that is the database.

Prints a table and replaces the "## Audit log" section of benchmarks/RESULTS.md (other sections are kept), and
records the append and verify figures against issue 16's goals (results.py). Nothing here asserts a time: the
figures are for people to read.

    python benchmarks/bench_audit.py [--events N] [--append N] [--processes 8] [--each 2000] [--workers 1,2]
        [--no-results]
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from rich.console import Console
from rich.table import Table as RichTable
from sqlalchemy import Table, create_engine, insert, select, text
from sqlalchemy.engine import make_url

from common import PeakConnections, find_postgres, machine, reset_peak_rss, rss_kib
from custos.actor import Actor
from custos.audit import AuditBlock, AuditEvent, record, verify
from custos.audit.chain import PLAIN, details_json, format_at, leaf_bytes, leaf_hash
from custos.audit.seal import seal
from custos.audit.verify import _rows, default_workers  # the query itself, so that the floor is measured exactly
from custos.clock import SystemClock
from custos.db import Database, make_engine
from custos.db.migrate import upgrade
from results import APPEND, RESULTS, VERIFY, Goal, Load, Processes, goal_line, record_goal, write_section

HEADING = "## Audit log"
BENCH_DB = "custos_bench_audit"
SEED = 2025
START = datetime(2026, 1, 1, tzinfo=UTC)
BUILD_BATCH = 10_000
ACTIONS = ("person.read", "person.read", "person.read", "person.update", "person.export", "auth.login")


@dataclass
class Append:
    backend: str
    per_transaction: int
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds


@dataclass
class Verify:
    backend: str
    events: int
    verify_seconds: float
    hashlib_seconds: float
    read_seconds: float
    peak_rss_growth_mib: float | None
    load: Load
    workers: int = 1
    database_processes: int = 0
    seal_seconds: float | None = None
    blocks: int = 0

    @property
    def ratio(self) -> float:
        return self.verify_seconds / self.hashlib_seconds


# ---------------------------------------------------------------- append throughput through record()


def measure_append(backend: str, db: Database, events: int, per_transaction: int) -> Append:
    clock = SystemClock()
    actor = Actor(kind="staff", id=3, label="staff:3", ip="192.0.2.10", user_agent="Mozilla/5.0 (X11; Linux)")
    subjects = [str(uuid.uuid4()) for _ in range(100)]
    started = time.perf_counter()
    done = 0
    while done < events:
        with db.transaction() as session:
            for _ in range(min(per_transaction, events - done)):
                record(
                    session,
                    clock,
                    actor,
                    "person.read",
                    subject=subjects[done % 100],
                    purpose="customer-relationship",
                    details={"fields": ["name", "email"], "n": done},
                )
                done += 1
    return Append(backend, per_transaction, events, time.perf_counter() - started)


# ---------------------------------------------------------------- append from several processes at once


@dataclass
class Parallel:
    backend: str
    processes: int
    events: int
    seconds: float
    database_processes: int
    load: Load
    seal_seconds: float | None = None
    sealed: int | None = None
    bare: bool = False

    @property
    def rate(self) -> float:
        return self.events / self.seconds


PARALLEL_TIMEOUT = 600


def measure_parallel(
    backend: str, db: Database, url: str, processes: int, each: int, peak: Callable[[], Any], *, bare: bool = False
) -> Parallel:
    """`processes` spawned processes, each appending `each` events through `record`, one per transaction.

    Each opens its own `Database` on `url` and appends one event to warm up; then all start on a barrier, and
    the time runs until the last has committed its last event. Then one seal of everything appended
    (`custos.audit.seal`: the blocks that chain the events) is timed as well. `bare`: the floor instead, the
    same processes each inserting a row of the same columns into a plain table, one per transaction."""
    table = "bench_bare_event" if bare else "audit_event"
    if bare:
        key = "seq bigserial PRIMARY KEY" if backend == "postgresql" else "seq integer PRIMARY KEY"
        with db.engine.begin() as connection:
            connection.exec_driver_sql(f"CREATE TABLE {table} ({key}, {', '.join(c + ' text' for c in BARE_COLUMNS)})")
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes + 1)
    done: Any = context.Queue()
    workers = [
        context.Process(target=_appender, args=(url, index, each, barrier, done, bare), daemon=True)
        for index in range(processes)
    ]
    for worker in workers:
        worker.start()
    try:
        _collect(done, processes, "ready")
        with peak() as connections:
            load = Load.now()
            barrier.wait(timeout=PARALLEL_TIMEOUT)
            started = time.monotonic()  # CLOCK_MONOTONIC: the same clock in every process
            finished = max(_collect(done, processes, "done"))
            load = load.finished()
    finally:
        for worker in workers:
            worker.join(timeout=60)
    with db.transaction() as session:
        stored = session.scalar(text(f"SELECT count(*) FROM {table}"))
    if stored != processes * (each + 1):
        raise SystemExit(f"error: {stored} events stored, {processes * (each + 1)} appended")
    result = Parallel(backend, processes, processes * each, finished - started, connections.most, load, bare=bare)
    if bare:
        return result
    started = time.monotonic()
    report = seal(db, SystemClock(), None)
    result.seal_seconds, result.sealed = time.monotonic() - started, report.events
    return result


def _collect(done: Any, processes: int, expected: str) -> list[float]:
    answers = [done.get(timeout=PARALLEL_TIMEOUT) for _ in range(processes)]
    errors = [str(value) for state, value in answers if state == "error"]
    if errors:
        raise SystemExit(f"error: an appending process failed: {errors[0]}")
    assert all(state == expected for state, _ in answers), answers
    return [float(value) for _, value in answers]


BARE_COLUMNS = ("at", *PLAIN, "details_json", "hash")


def _appender(url: str, index: int, each: int, barrier: Any, done: Any, bare: bool) -> None:
    """One appending process: its own engine, one warm-up event, then `each` events, one per transaction."""
    try:
        db = Database(make_engine(url))
        clock = SystemClock()
        actor = Actor(kind="staff", id=index + 1, label=f"staff:{index + 1}", ip="192.0.2.10", user_agent="bench")
        subjects = [str(uuid.uuid4()) for _ in range(100)]
        columns = ", ".join(BARE_COLUMNS)
        insert_bare = text(
            f"INSERT INTO bench_bare_event ({columns}) VALUES ({', '.join(':' + c for c in BARE_COLUMNS)})"
        )
        row = dict.fromkeys(BARE_COLUMNS) | {"actor_kind": "staff", "actor_label": actor.label, "hash": "0" * 64,
                                                 "action": "person.read", "outcome": "ok"}  # fmt: skip

        def one(n: int) -> None:
            if bare:
                with db.engine.begin() as connection:
                    connection.execute(insert_bare, row | {"at": clock.now().isoformat(), "subject": subjects[n % 100],
                                                           "details_json": f'{{"n":{n}}}'})  # fmt: skip
                return
            with db.transaction() as session:
                record(session, clock, actor, "person.read", subject=subjects[n % 100], purpose="customer-relationship",
                       details={"fields": ["name", "email"], "n": n})  # fmt: skip

        one(-1)
        done.put(("ready", 0.0))
        barrier.wait(timeout=PARALLEL_TIMEOUT)
        for n in range(each):
            one(n)
        done.put(("done", time.monotonic()))
        db.dispose()
    except BaseException as exc:
        done.put(("error", repr(exc)))
        raise


# ---------------------------------------------------------------- a long chain, built fast with the same hashing


def chain_rows(n: int) -> Iterator[tuple[dict[str, object], bytes]]:
    """N events as table rows, each with the canonical bytes its hash was computed from. Deterministic."""
    rng = random.Random(SEED)
    for seq in range(1, n + 1):
        kind_staff = rng.random() < 0.9
        at = START + timedelta(milliseconds=seq * 250)
        values: dict[str, object] = {
            "actor_kind": "staff" if kind_staff else "system",
            "actor_id": rng.randint(1, 40) if kind_staff else None,
            "actor_label": f"staff:{rng.randint(1, 40)}" if kind_staff else "system:sweep",
            "ip": f"10.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}" if kind_staff else None,
            "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0" if kind_staff else None,
            "action": ACTIONS[seq % len(ACTIONS)],
            "subject": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "target": None,
            "purpose": "customer-relationship",
            "reference": None,
            "outcome": "ok",
        }
        details = details_json({"fields": ["name", "email"], "n": seq})
        data = leaf_bytes(format_at(at), [values[name] for name in PLAIN], details)
        values.update(seq=seq, at=at, details_json=details, prev_hash=None, hash=leaf_hash(data))
        yield values, data


def build_chain(db: Database, n: int, progress: Callable[[int], None]) -> float:
    """Bulk insert through SQLAlchemy Core (the app's own column types), batches of 10,000, as `record` would
    have written them (each event's own hash, numbers 1…N); then `seal` puts them in blocks, as the server's
    sealer does. Returns the seconds the seal took."""
    table = AuditEvent.__table__
    assert isinstance(table, Table)
    batch: list[dict[str, object]] = []
    with db.engine.begin() as connection:
        for values, _ in chain_rows(n):
            batch.append(values)
            if len(batch) == BUILD_BATCH:
                connection.execute(insert(table), batch)
                progress(int(values["seq"]))  # type: ignore[call-overload]
                batch = []
        if batch:
            connection.execute(insert(table), batch)
        if connection.dialect.name == "postgresql":  # the numbers were given, not drawn: move the sequence on
            connection.execute(text("SELECT setval('audit_event_seq', :n)"), {"n": n})
    started = time.perf_counter()
    report = seal(db, SystemClock(), None)
    if report.events != n:
        raise SystemExit(f"error: sealed {report.events:,} of the benchmark's {n:,} events: {report}")
    return time.perf_counter() - started


def hashlib_alone(n: int) -> float:
    """SHA-256 of the very same canonical bytes, held in one buffer, one hex digest per event."""
    buffer = bytearray()
    ends: list[int] = []
    for _, data in chain_rows(n):
        buffer += data
        ends.append(len(buffer))
    view = memoryview(buffer)
    sha256 = hashlib.sha256
    started = time.perf_counter()
    start = 0
    for end in ends:
        sha256(view[start:end]).hexdigest()
        start = end
    return time.perf_counter() - started


def read_only(db: Database, batch_size: int = 10_000) -> float:
    """The very queries verify runs (block by block, straight from the driver), without hashing: the
    database's and driver's share of the time."""
    with db.engine.connect() as connection:
        spans = connection.execute(select(AuditBlock.first_seq, AuditBlock.last_seq).order_by(AuditBlock.block)).all()
    started = time.perf_counter()
    with db.engine.connect() as connection:
        for first, last in spans:
            for _ in _rows(connection, first - 1, last, batch_size):
                pass
    return time.perf_counter() - started


def measure_verify(
    backend: str, db: Database, n: int, workers: list[int], peak: Callable[[], Any], console: Console
) -> list[Verify]:
    started = time.perf_counter()
    seal_seconds = build_chain(
        db, n, lambda done: console.print(f"  built {done:,}/{n:,}") if done % 250_000 == 0 else None
    )
    console.print(f"  built {n:,} events in {time.perf_counter() - started:.1f} s (sealed in {seal_seconds:.1f} s)")
    read_seconds = read_only(db)
    alone = hashlib_alone(n)
    found = []
    for count in workers:
        reset = reset_peak_rss()
        before = rss_kib("VmRSS") if reset else None
        with peak() as connections:
            load = Load.now()
            started = time.perf_counter()
            report = verify(db, workers=count)
            verify_seconds = time.perf_counter() - started
            load = load.finished()
        growth = (rss_kib("VmHWM") or 0) - before if before is not None else None
        if not report.ok or report.events_checked != n:
            raise SystemExit(f"error: the benchmark chain did not verify: {report}")
        console.print(f"  verified with {count} worker(s) in {verify_seconds:.2f} s")
        found.append(
            Verify(
                backend,
                n,
                verify_seconds,
                alone,
                read_seconds,
                None if growth is None else max(growth, 0) / 1024,
                load,
                workers=count,
                database_processes=connections.most,
                seal_seconds=seal_seconds,
                blocks=report.blocks,
            )
        )
    return found


# ---------------------------------------------------------------- backends


class Postgres:
    """A scratch database, created fresh for each measurement and dropped at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.url = make_url(admin_url).set(database=BENCH_DB).render_as_string(hide_password=False)

    def version(self) -> str:
        with self.admin.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar())

    def fresh(self) -> Database:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
        return _migrated(self.url)

    def drop(self) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        self.admin.dispose()


def _migrated(url: str) -> Database:
    db = Database(make_engine(url))
    upgrade(db.engine)
    return db


# ---------------------------------------------------------------- report


def append_table(results: list[Append], parallels: list[Parallel]) -> RichTable:
    table = RichTable(title="Audit append through record()")
    for column in ("backend", "what", "processes", "events per transaction", "events", "events/s"):
        table.add_column(column, justify="left" if column in ("backend", "what") else "right")
    for r in results:
        table.add_row(r.backend, "record", "1", f"{r.per_transaction:,}", f"{r.events:,}", f"{r.rate:,.0f}")
    for p in parallels:
        table.add_row(p.backend, _what(p), str(p.processes), "1", f"{p.events:,}", f"{p.rate:,.0f}")
    return table


def _what(p: Parallel) -> str:
    return "bare INSERT" if p.bare else "record"


def _cell(p: Parallel) -> str:
    return "bare INSERT" if p.bare else "`record`"


def _seal_cell(p: Parallel) -> str:
    if p.seal_seconds is None or p.sealed is None:
        return "n/a"
    return f"{p.sealed:,} in {p.seal_seconds:,.2f} s ({p.sealed / p.seal_seconds:,.0f}/s)"


def _appenders(p: Parallel) -> Processes:
    where = (
        f"at most {p.database_processes} PostgreSQL backends connected"
        if p.backend == "postgresql"
        else "SQLite inside each appender, writers taking turns (BEGIN IMMEDIATE)"
    )
    return Processes(
        generator=p.processes,
        database=p.database_processes,
        detail=f"{p.processes} spawned appenders, each its own engine, one event per transaction; {where}",
    )


def goals(parallels: list[Parallel], verifies: list[Verify], events: int, *, write: bool) -> list[Goal]:
    found = []
    for p in parallels:
        if p.bare:
            continue
        floor = next((b for b in parallels if b.bare and b.backend == p.backend), None)
        sealed = None if p.sealed is None else f"then sealed: {_seal_cell(p)}"
        bare = None if floor is None else f"bare INSERTs from the same processes: {floor.rate:,.0f}/s"
        found.append(
            record_goal(
                HEADING,
                p.backend,
                APPEND,
                f"{p.rate:,.0f} events/s",
                None,
                p.rate >= 5_000 and p.processes >= 8,
                _appenders(p),
                p.load,
                size=f"{p.processes} × {p.events // p.processes:,} events",
                note="; ".join(n for n in (bare, sealed) if n) or None,
                write=write,
            )
        )
    for backend in dict.fromkeys(v.backend for v in verifies):
        # The figure is the fastest run (with the processes it took); the others are in its note.
        runs = sorted((v for v in verifies if v.backend == backend), key=lambda v: v.ratio)
        v, others = runs[0], runs[1:]
        found.append(
            record_goal(
                HEADING,
                v.backend,
                VERIFY,
                f"{v.ratio:.1f}× SHA-256 alone",
                None,
                v.ratio <= 3,
                Processes(
                    generator=v.workers + (1 if v.workers > 1 else 0),
                    database=v.database_processes,
                    detail=f"verify with {v.workers} worker process(es)"
                    + (" and the benchmark's process reading the blocks" if v.workers > 1 else "")
                    + "; hashlib alone in 1 process"
                    + (f"; at most {v.database_processes} PostgreSQL backends" if v.backend == "postgresql" else ""),
                ),
                v.load,
                size=None if events == 1_000_000 else f"{events:,} events",
                note="; ".join(f"{o.workers} worker(s): {o.ratio:.1f}×" for o in others) or None,
                write=write,
            )
        )
    return found


def verify_table(results: list[Verify]) -> RichTable:
    table = RichTable(title="Audit verify vs SHA-256 of the same bytes alone (goal: ratio ≤ 3×)")
    columns = ("backend", "workers", "events", "verify", "events/s", "hashlib", "ratio", "read only", "÷ read", "RSS +")
    for column in columns:
        table.add_column(column, justify="left" if column == "backend" else "right")
    for r in results:
        table.add_row(*_verify_cells(r))
    return table


def _verify_cells(r: Verify) -> list[str]:
    rss = f"{r.peak_rss_growth_mib:,.1f} MiB" if r.peak_rss_growth_mib is not None else "n/a"
    return [
        r.backend,
        str(r.workers),
        f"{r.events:,}",
        f"{r.verify_seconds:,.2f} s",
        f"{r.events / r.verify_seconds:,.0f}",
        f"{r.hashlib_seconds:,.2f} s",
        f"{r.ratio:.1f}×",
        f"{r.read_seconds:,.2f} s",
        f"{r.verify_seconds / r.read_seconds:.1f}×",
        rss,
    ]


def section(
    appends: list[Append], parallels: list[Parallel], verifies: list[Verify], found: list[Goal], machine: dict[str, str]
) -> str:
    lines = [
        "Written by `benchmarks/bench_audit.py` (`make bench`).",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        *(f"- {k}: {v}" for k, v in machine.items()),
        "",
        "Against issue 16's goals (append ≥ 5,000 events/s from 8 processes, one event per transaction; verify "
        "≤ 3× SHA-256 alone):",
        "",
        *(goal_line(goal) for goal in found),
        "",
        "| backend | what | processes | events per transaction | events | events/s |",
        "|---|---|---:|---:|---:|---:|",
        *(f"| {r.backend} | `record` | 1 | {r.per_transaction:,} | {r.events:,} | {r.rate:,.0f} |" for r in appends),
        *(f"| {p.backend} | {_cell(p)} | {p.processes} | 1 | {p.events:,} | {p.rate:,.0f} |" for p in parallels),
        "",
        "Several processes: each spawned with its own engine, appending through `record` in its own "
        "transaction (`Database.transaction`), all starting on a barrier after one warm-up event; the time runs "
        "until the last has committed. Bare INSERT: the floor, the same processes each inserting a row of the "
        "same columns (text, no hashing, no checks) into a plain table with a database-numbered key, one per "
        "transaction: what the machine's commits allow. On SQLite the writers take turns (`BEGIN IMMEDIATE`), "
        "so more processes cannot append faster than one. Sealed afterwards: appends share no head; "
        "`custos.audit.seal` (every 2 s in `custos serve` and `custos worker`) chains them into blocks (unsigned "
        "here), one seal of all of them in the benchmark's process.",
        "",
        "| backend | what | processes appending | events | events/s | database processes | sealed afterwards "
        "| load (1 min) |",
        "|---|---|---:|---:|---:|---:|---|---|",
        *(
            f"| {p.backend} | {_cell(p)} | {p.processes} | {p.events:,} | {p.rate:,.0f} | {p.database_processes} "
            f"| {_seal_cell(p)} | {p.load} |"
            for p in parallels
        ),
        "",
        "| backend | verify workers | events | verify | events/s | hashlib alone | ratio | rows read only "
        "| verify ÷ read only | verify peak RSS growth |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(f"| {' | '.join(_verify_cells(r))} |" for r in verifies),
        "",
        "The chain: N events bulk-inserted as `record` writes them (each with its own hash), then sealed into "
        "blocks by `custos.audit.seal` as the server's sealer would ("
        + "; ".join(
            f"{r.backend}: {r.blocks:,} blocks in {r.seal_seconds:,.1f} s"
            for r in verifies
            if r.workers == 1 and r.seal_seconds is not None
        )
        + "). Ratio: `verify` time ÷ the time SHA-256 alone takes, in one process, over exactly the same "
        "canonical bytes held in memory, one digest per event (goal ≤ 3×); verify also hashes each block's Merkle "
        "tree and reads the rows. Verify workers: processes checking blocks in parallel (`verify(workers=…)`, "
        "started by verify itself; with more than one, the benchmark's process reads the blocks and gathers the "
        "results). Rows read only: the same queries, block by block, without hashing; verify ÷ read only is "
        "what rebuilding and hashing adds to reading the rows at all. Peak RSS growth: the benchmark process's "
        "peak resident memory during verify, less its resident memory just before (workers' not included).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="length of the chain to verify")
    parser.add_argument("--append", type=int, default=20_000, help="events appended in batches (÷10 one by one)")
    parser.add_argument("--processes", type=int, default=8, help="processes appending at once")
    parser.add_argument("--each", type=int, default=2_000, help="events each of those processes appends")
    parser.add_argument(
        "--workers",
        default=",".join(str(w) for w in sorted({1, default_workers()})),
        help="verify with each of these numbers of processes (comma-separated)",
    )
    parser.add_argument("--no-results", action="store_true", help="do not rewrite benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    workers = [int(w) for w in args.workers.split(",") if w]
    console = Console()
    server = find_postgres(console, Postgres)
    appends: list[Append] = []
    parallels: list[Parallel] = []
    verifies: list[Verify] = []
    try:
        with tempfile.TemporaryDirectory(prefix="custos-bench-audit-") as tmp:
            counter = iter(range(1_000))

            def sqlite() -> tuple[Database, str]:
                url = f"sqlite:///{Path(tmp) / f'audit-{next(counter)}.db'}"
                return _migrated(url), url

            fresh: dict[str, Callable[[], tuple[Database, str]]] = {"sqlite": sqlite}
            peaks: dict[str, Callable[[], Any]] = {"sqlite": lambda: nullcontext(SimpleNamespace(most=0))}
            if server is not None:
                fresh["postgresql"] = lambda: (server.fresh(), server.url)
                peaks["postgresql"] = lambda: PeakConnections(server.admin, [BENCH_DB])
            for backend, new_db in fresh.items():
                for per_transaction, events in ((1, max(args.append // 10, 1)), (1000, args.append)):
                    console.print(f"{backend}: appending {events:,} events, {per_transaction:,} per transaction …")
                    db, _ = new_db()
                    try:
                        appends.append(measure_append(backend, db, events, per_transaction))
                    finally:
                        db.dispose()
                console.print(
                    f"{backend}: {args.processes} processes appending {args.each:,} events each, one per transaction …"
                )
                db, url = new_db()
                try:
                    parallels.append(measure_parallel(backend, db, url, args.processes, args.each, peaks[backend]))
                finally:
                    db.dispose()
                db, url = new_db()
                try:
                    parallels.append(
                        measure_parallel(backend, db, url, args.processes, args.each, peaks[backend], bare=True)
                    )
                finally:
                    db.dispose()
                console.print(f"{backend}: verifying a chain of {args.events:,} events …")
                db, _ = new_db()
                try:
                    verifies += measure_verify(backend, db, args.events, workers, peaks[backend], console)
                finally:
                    db.dispose()
            pg_version = server.version() if server is not None else None
    finally:
        if server is not None:
            server.drop()
    console.print(append_table(appends, parallels))
    console.print(verify_table(verifies))
    found = goals(parallels, verifies, args.events, write=not args.no_results)
    for goal in found:
        console.print(goal_line(goal))
    if not args.no_results:
        write_section(HEADING, section(appends, parallels, verifies, found, machine(pg_version)))
        console.print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
