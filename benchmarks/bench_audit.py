"""Audit log: append throughput through `record`, and verification of a long chain against hashlib alone.

For each backend (SQLite, and PostgreSQL when its server answers):
- append: events/s through `custos.audit.record` (validation, head lock, hash, insert), one event per
  transaction and in batches of 1000 per transaction, on a freshly migrated database;
- verify: a chain of N events (default 1,000,000) is built quickly with a bulk insert that uses the same
  hashing code as `record` (`custos.audit.chain`), then `custos.audit.verify` is timed against hashlib alone:
  SHA-256 of exactly the same canonical bytes, already in memory, one digest per event. The ratio
  verify ÷ hashlib is the cost of reading the rows and rebuilding the bytes (goal ≤ 3×). A third figure,
  reading the same rows without hashing, shows how much of that is the database.

Prints a table and replaces the "## Audit log" section of benchmarks/RESULTS.md (other sections are kept).
Nothing here asserts a time: the figures are for people to read.

    python benchmarks/bench_audit.py [--events N] [--append N] [--no-results]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table as RichTable
from sqlalchemy import Table, create_engine, insert, text, update
from sqlalchemy.engine import make_url

from common import find_postgres, machine, reset_peak_rss, rss_kib
from custos.actor import Actor
from custos.audit import AuditEvent, AuditHead, record, verify
from custos.audit.chain import GENESIS, PLAIN, canonical, details_json, digest, format_at
from custos.audit.verify import _batch  # the query itself, so that the floor is measured exactly
from custos.clock import SystemClock
from custos.db import Database, make_engine
from custos.db.migrate import upgrade
from results import RESULTS, write_section

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


# ---------------------------------------------------------------- a long chain, built fast with the same hashing


def chain_rows(n: int) -> Iterator[tuple[dict[str, object], bytes]]:
    """N events as table rows, each with the canonical bytes its hash was computed from. Deterministic."""
    rng = random.Random(SEED)
    prev = GENESIS
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
        data = canonical(seq, prev, format_at(at), [values[name] for name in PLAIN], details)
        hashed = digest(data)
        values.update(seq=seq, at=at, details_json=details, prev_hash=prev, hash=hashed)
        prev = hashed
        yield values, data


def build_chain(db: Database, n: int, progress: Callable[[int], None]) -> None:
    """Bulk insert through SQLAlchemy Core (the app's own column types), batches of 10,000, then the head."""
    table = AuditEvent.__table__
    assert isinstance(table, Table)
    batch: list[dict[str, object]] = []
    last = GENESIS
    with db.engine.begin() as connection:
        for values, _ in chain_rows(n):
            batch.append(values)
            if len(batch) == BUILD_BATCH:
                connection.execute(insert(table), batch)
                progress(int(values["seq"]))  # type: ignore[call-overload]
                batch = []
            last = str(values["hash"])
        if batch:
            connection.execute(insert(table), batch)
        connection.execute(update(AuditHead).values(last_seq=n, last_hash=last, count=n))


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
    """The very batched query verify runs, without hashing: the database's and driver's share of the time."""
    started = time.perf_counter()
    after = 0
    while True:
        with db.transaction() as session:
            rows = _batch(session, after, batch_size)
        if not rows:
            break
        after = rows[-1][0]
    return time.perf_counter() - started


def measure_verify(backend: str, db: Database, n: int, console: Console) -> Verify:
    started = time.perf_counter()
    build_chain(db, n, lambda done: console.print(f"  built {done:,}/{n:,}") if done % 250_000 == 0 else None)
    console.print(f"  built {n:,} events in {time.perf_counter() - started:.1f} s")
    read_seconds = read_only(db)
    reset = reset_peak_rss()
    before = rss_kib("VmRSS") if reset else None
    started = time.perf_counter()
    report = verify(db)
    verify_seconds = time.perf_counter() - started
    growth = (rss_kib("VmHWM") or 0) - before if before is not None else None
    if not report.ok or report.events_checked != n:
        raise SystemExit(f"error: the benchmark chain did not verify: {report}")
    return Verify(
        backend, n, verify_seconds, hashlib_alone(n), read_seconds, None if growth is None else max(growth, 0) / 1024
    )


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


def append_table(results: list[Append]) -> RichTable:
    table = RichTable(title="Audit append through record()")
    for column in ("backend", "events per transaction", "events", "events/s"):
        table.add_column(column, justify="left" if column == "backend" else "right")
    for r in results:
        table.add_row(r.backend, f"{r.per_transaction:,}", f"{r.events:,}", f"{r.rate:,.0f}")
    return table


def verify_table(results: list[Verify]) -> RichTable:
    table = RichTable(title="Audit verify vs SHA-256 of the same bytes alone (goal: ratio ≤ 3×)")
    columns = ("backend", "events", "verify", "events/s", "hashlib alone", "ratio", "rows read only", "÷ read", "RSS +")
    for column in columns:
        table.add_column(column, justify="left" if column == "backend" else "right")
    for r in results:
        table.add_row(*_verify_cells(r))
    return table


def _verify_cells(r: Verify) -> list[str]:
    rss = f"{r.peak_rss_growth_mib:,.1f} MiB" if r.peak_rss_growth_mib is not None else "n/a"
    return [
        r.backend,
        f"{r.events:,}",
        f"{r.verify_seconds:,.2f} s",
        f"{r.events / r.verify_seconds:,.0f}",
        f"{r.hashlib_seconds:,.2f} s",
        f"{r.ratio:.1f}×",
        f"{r.read_seconds:,.2f} s",
        f"{r.verify_seconds / r.read_seconds:.1f}×",
        rss,
    ]


def section(appends: list[Append], verifies: list[Verify], machine: dict[str, str]) -> str:
    lines = [
        "Written by `benchmarks/bench_audit.py` (`make bench`).",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        *(f"- {k}: {v}" for k, v in machine.items()),
        "",
        "| backend | events per transaction | events | events/s through `record` |",
        "|---|---:|---:|---:|",
        *(f"| {r.backend} | {r.per_transaction:,} | {r.events:,} | {r.rate:,.0f} |" for r in appends),
        "",
        "| backend | events | verify | events/s | hashlib alone | ratio | rows read only | verify ÷ read only "
        "| verify peak RSS growth |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(f"| {' | '.join(_verify_cells(r))} |" for r in verifies),
        "",
        "Ratio: `verify` time ÷ the time SHA-256 alone takes over exactly the same canonical bytes held in "
        "memory (goal ≤ 3×). Rows read only: the same batched query, without hashing; verify ÷ read only is what "
        "rebuilding and hashing the bytes adds to reading the rows at all. Peak RSS growth: "
        "the process's peak resident memory during verify, less its resident memory just before.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="length of the chain to verify")
    parser.add_argument("--append", type=int, default=20_000, help="events appended in batches (÷10 one by one)")
    parser.add_argument("--no-results", action="store_true", help="do not rewrite benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    console = Console()
    server = find_postgres(console, Postgres)
    appends: list[Append] = []
    verifies: list[Verify] = []
    try:
        with tempfile.TemporaryDirectory(prefix="custos-bench-audit-") as tmp:
            counter = iter(range(1_000))
            fresh: dict[str, Callable[[], Database]] = {
                "sqlite": lambda: _migrated(f"sqlite:///{Path(tmp) / f'audit-{next(counter)}.db'}")
            }
            if server is not None:
                fresh["postgresql"] = server.fresh
            for backend, new_db in fresh.items():
                for per_transaction, events in ((1, max(args.append // 10, 1)), (1000, args.append)):
                    console.print(f"{backend}: appending {events:,} events, {per_transaction:,} per transaction …")
                    db = new_db()
                    try:
                        appends.append(measure_append(backend, db, events, per_transaction))
                    finally:
                        db.dispose()
                console.print(f"{backend}: verifying a chain of {args.events:,} events …")
                db = new_db()
                try:
                    verifies.append(measure_verify(backend, db, args.events, console))
                finally:
                    db.dispose()
            pg_version = server.version() if server is not None else None
    finally:
        if server is not None:
            server.drop()
    console.print(append_table(appends))
    console.print(verify_table(verifies))
    if not args.no_results:
        write_section(HEADING, section(appends, verifies, machine(pg_version)))
        console.print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
