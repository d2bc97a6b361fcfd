"""CSV import throughput: custos's real importer against a bare bulk insert of the same rows, one run.

For each backend (SQLite, and PostgreSQL when its server answers) and each size (N and N/4):
- custos: a fresh initialised installation, then `import_file(..., "contacts")` — both passes, validation,
  encryption, blind indexes, one transaction (a large file is checked and sealed by worker processes, whose
  largest peak RSS is shown on its own: theirs is not in the measuring process's);
- bare: the same CSV read with `csv.reader` and inserted as plain text into one plain table with the same
  columns, `executemany` in batches of 1000, one transaction, through the driver directly.

Each measurement runs in its own subprocess so its peak RSS is its own. Prints a table and writes
benchmarks/RESULTS.md. Nothing here asserts a time: the figures are for people to read.

    python benchmarks/bench_import.py [--people N] [--profile]     (N also from BENCH_PEOPLE)
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from common import find_postgres, machine, peak_kib, reset_peak_rss, rss_kib
from custos.db import make_engine
from custos.demo.generator import write_contacts_csv
from custos.register.csv_rows import COLUMNS
from custos.register.import_check import MAX_WORKERS
from results import IMPORT, RESULTS, Goal, Load, Processes, goal_line, record_goal, write_section

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "examples" / "elastx" / "policy.yaml"
BENCH_DB = "custos_bench"
SEED = 2025
TODAY = date(2026, 1, 1)  # fixed, so the same N always benchmarks the same file
BATCH = 1000


@dataclass
class Measurement:
    backend: str
    method: str
    rows: int
    seconds: float
    peak_rss_growth_mib: float
    peak_rss_mib: float
    worker_peak_rss_mib: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


# ---------------------------------------------------------------- child side: one measurement per process


def _child(args: argparse.Namespace) -> None:
    csv_path = Path(args.csv)
    if args.method == "custos":
        from custos.actor import Actor
        from custos.register.importer import import_file
        from custos.runtime import open_runtime
        from custos.settings import load_settings

        settings = load_settings(
            {},
            None,
            overrides={"database_url": args.url, "key_file": args.key_file, "policy_path": str(POLICY)},
        )
        runtime = open_runtime(settings)

        def run() -> int:
            return import_file(runtime, Actor.system("bench-import"), csv_path, "contacts").people_created

    else:

        def run() -> int:
            return _bare_insert(args.url, csv_path)

    before = rss_kib("VmRSS") or 0
    if not reset_peak_rss():
        before = peak_kib()  # without a reset, the best we have is the growth of the lifetime peak
    profiler = cProfile.Profile() if args.profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    rows = run()
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - start
    peak = peak_kib()
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime")
        stats.print_stats(30)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux: the largest worker's peak
    print(
        json.dumps(
            {"rows": rows, "seconds": seconds, "growth_kib": peak - before, "peak_kib": peak, "workers_kib": workers}
        )
    )


def _bare_insert(url: str, csv_path: Path) -> int:
    """The floor: text straight from csv.reader into a plain table, batches of 1000, one transaction."""
    columns = COLUMNS["contacts"]
    engine = make_engine(url)  # the same connection settings custos uses (SQLite WAL, synchronous=NORMAL)
    sqlite = engine.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    sql = f"INSERT INTO bare_contacts ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if sqlite:
            cursor.execute("BEGIN IMMEDIATE")  # make_engine leaves transactions to the caller on SQLite
        count = 0
        with csv_path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            next(reader)
            batch: list[list[str]] = []
            for row in reader:
                batch.append(row)
                if len(batch) >= BATCH:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
        if sqlite:
            cursor.execute("COMMIT")
        else:
            raw.commit()
    finally:
        raw.close()
        engine.dispose()
    return count


# ---------------------------------------------------------------- parent side


def _prepare(method: str, url: str, workdir: Path) -> None:
    """Set up what the measured process needs, outside the measurement (and outside its peak RSS)."""
    if method == "custos":
        from custos.settings import load_settings
        from custos.setup import initialise

        settings = load_settings(
            {},
            None,
            overrides={"database_url": url, "key_file": str(workdir / "custos.key"), "policy_path": str(POLICY)},
        )
        initialise(settings)
        return
    engine = make_engine(url)
    columns = ", ".join(f"{c} TEXT" for c in COLUMNS["contacts"])
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE bare_contacts (id {_serial(engine.dialect.name)}, {columns})"))
    engine.dispose()


def _serial(dialect: str) -> str:
    # A surrogate key like custos's tables have, so the baseline pays for the same kind of primary key.
    return "INTEGER PRIMARY KEY" if dialect == "sqlite" else "BIGSERIAL PRIMARY KEY"


def _measure(backend: str, method: str, url: str, csv_path: Path, workdir: Path, profile: bool) -> Measurement:
    _prepare(method, url, workdir)
    command = [
        sys.executable,
        __file__,
        "--child",
        method,
        "--url",
        url,
        "--csv",
        str(csv_path),
        "--key-file",
        str(workdir / "custos.key"),
    ]
    if profile:
        command.append("--profile")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"{method} import on {backend} failed (exit {done.returncode})")
    if profile:
        sys.stderr.write(done.stderr)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return Measurement(
        backend=backend,
        method=method,
        rows=int(result["rows"]),
        seconds=float(result["seconds"]),
        peak_rss_growth_mib=result["growth_kib"] / 1024,
        peak_rss_mib=result["peak_kib"] / 1024,
        worker_peak_rss_mib=result.get("workers_kib", 0) / 1024,
    )


class _Postgres:
    """A fresh `custos_bench` database per measurement, dropped afterwards."""

    def __init__(self, admin_url: str) -> None:
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.url = make_url(admin_url).set(database=BENCH_DB).render_as_string(hide_password=False)

    def version(self) -> str:
        with self.admin.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar())

    def recreate(self) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))

    def drop(self) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        self.admin.dispose()


def _pairs(results: list[Measurement]) -> list[tuple[Measurement, Measurement]]:
    by_key = {(m.backend, m.rows, m.method): m for m in results}
    return [
        (by_key[(m.backend, m.rows, "custos")], m)
        for m in results
        if m.method == "bare" and (m.backend, m.rows, "custos") in by_key
    ]


def _table(results: list[Measurement]) -> Table:
    table = Table(title="CSV import: custos vs bare bulk insert (goal: ratio ≤ 3×)")
    columns = ("backend", "rows", "custos rows/s", "bare rows/s", "ratio", "custos peak RSS +", "bare peak RSS +")
    for column in (*columns, "custos worker peak RSS"):
        table.add_column(column, justify="right" if column != "backend" else "left")
    for custos, bare in _pairs(results):
        table.add_row(*_cells(custos, bare))
    return table


def _cells(custos: Measurement, bare: Measurement) -> list[str]:
    ratio = bare.rows_per_second / custos.rows_per_second if custos.rows_per_second else float("inf")
    return [
        custos.backend,
        f"{custos.rows:,}",
        f"{custos.rows_per_second:,.0f}",
        f"{bare.rows_per_second:,.0f}",
        f"{ratio:.1f}×",
        f"{custos.peak_rss_growth_mib:,.1f} MiB",
        f"{bare.peak_rss_growth_mib:,.1f} MiB",
        f"{custos.worker_peak_rss_mib:,.1f} MiB" if custos.worker_peak_rss_mib else "none",
    ]


def _goals(results: list[Measurement], people: int, loads: dict[str, Load], *, write: bool) -> list[Goal]:
    """Issue 16's row: the ratio at N ≤ 3×, and the rate flat in N (custos rows/s at N at least 0.8× at N/4)."""
    found = []
    pairs = {(c.backend, c.rows): (c, b) for c, b in _pairs(results)}
    for (backend, rows), (custos, bare) in pairs.items():
        if rows != people or (backend, people // 4) not in pairs:
            continue
        quarter = pairs[(backend, people // 4)][0]
        ratio = bare.rows_per_second / custos.rows_per_second
        flat = custos.rows_per_second >= 0.8 * quarter.rows_per_second
        # A large file is checked by min(MAX_WORKERS, cpus) worker processes (import_check), whose peak shows.
        workers = min(MAX_WORKERS, os.cpu_count() or 1) if custos.worker_peak_rss_mib > 0 else 0
        found.append(
            record_goal(
                "Register import",
                backend,
                IMPORT,
                f"{ratio:.1f}× a bare bulk insert",
                None,
                ratio <= 3 and flat,
                Processes(
                    generator=1 + workers,
                    database=1 if backend == "postgresql" else 0,
                    detail=f"the import in its own process{f' with {workers} checking workers' if workers else ''}",
                ),
                loads.get(backend) or Load.now(),
                size=None if people == 1_000_000 else f"{people:,} contacts",
                note=f"{custos.rows_per_second:,.0f} rows/s at N, {quarter.rows_per_second:,.0f} at N/4 "
                f"({'flat' if flat else 'not flat'})",
                write=write,
            )
        )
    return found


def _write_results(
    results: list[Measurement], people: int, machine: dict[str, str], goals: list[Goal] | None = None
) -> None:
    lines = [
        "Written by `benchmarks/bench_import.py`.",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- N: {people:,} customer contacts (and N/4), generated with seed {SEED}",
        *(f"- {k}: {v}" for k, v in machine.items()),
        "",
        "| backend | rows | custos rows/s | bare rows/s | ratio (bare/custos) | custos peak RSS growth "
        "| bare peak RSS growth | custos worker peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {' | '.join(_cells(c, b))} |" for c, b in _pairs(results)]
    lines += [
        "",
        "Ratio: how many times longer custos takes than the bare insert of the same rows (goal ≤ 3×). "
        "Peak RSS growth: the measuring process's peak resident memory during the import, less its "
        "resident memory just before; the same figure at N and N/4 means memory does not grow with the file. "
        "Worker peak RSS: the largest peak of the worker processes that check and seal a large file (whole, "
        "not growth), or none when the file was checked in the measuring process.",
        "",
        *(goal_line(goal) for goal in goals or []),
        "",
    ]
    write_section("## Register import", "\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=int(os.environ.get("BENCH_PEOPLE", "1000000")))
    parser.add_argument("--profile", action="store_true", help="cProfile the custos import (top 30 to stderr)")
    parser.add_argument("--no-results", action="store_true", help="do not rewrite benchmarks/RESULTS.md")
    parser.add_argument("--child", choices=("custos", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    parser.add_argument("--key-file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        args.method = args.child
        _child(args)
        return
    _run(args)


def _run(args: argparse.Namespace) -> None:
    console = Console()
    people: int = max(args.people, 4)
    postgres = find_postgres(console, _Postgres)
    results: list[Measurement] = []
    loads: dict[str, Load] = {}
    with tempfile.TemporaryDirectory(prefix="custos-bench-") as tmp:
        workdir = Path(tmp)
        files: dict[int, Path] = {}
        for size in (people, people // 4):
            files[size] = workdir / f"contacts-{size}.csv"
            started = time.perf_counter()
            write_contacts_csv(files[size], size, SEED, today=TODAY)
            console.print(
                f"generated {size:,} contacts ({files[size].stat().st_size / 2**20:,.0f} MiB) "
                f"in {time.perf_counter() - started:.1f} s"
            )
        backends: list[tuple[str, Any]] = [("sqlite", None)]
        if postgres is not None:
            backends.append(("postgresql", postgres))
        try:
            for backend, server in backends:
                loads[backend] = Load.now()
                for size, csv_path in files.items():
                    for method in ("bare", "custos"):
                        run_dir = workdir / f"{backend}-{size}-{method}"
                        run_dir.mkdir()
                        if server is None:
                            url = f"sqlite:///{run_dir / 'bench.db'}"
                        else:
                            server.recreate()
                            url = server.url
                        console.print(f"{backend}: {method} import of {size:,} rows …")
                        profile = args.profile and method == "custos" and size == people
                        results.append(_measure(backend, method, url, csv_path, run_dir, profile))
                loads[backend] = loads[backend].finished()
            pg_version = postgres.version() if postgres is not None else None
        finally:
            if postgres is not None:
                postgres.drop()
    console.print(_table(results))
    goals = _goals(results, people, loads, write=not args.no_results)
    for goal in goals:
        console.print(goal_line(goal))
    if not args.no_results:
        _write_results(results, people, machine(pg_version), goals)
        console.print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
