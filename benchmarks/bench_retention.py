"""Retention sweep throughput: custos's real sweep against bare SQL DELETEs of the same rows, one run.

For each backend (SQLite, and PostgreSQL when its server answers) and each size (N and N/4), a register of
that many people is built once (fast bulk inserts, but with real AES-GCM encryption and blind indexes from the
installation's KeyRing), of which exactly 10% are due: half prospects last seen more than ten years ago, half
contacts of customers that left more than ten years ago. Then, on identical copies of it:
- custos: `run_sweep` as the daily job runs it — candidate prefilter, per-person decisions, tasks, set-based
  deletes, a tombstone and an audit event per person, batches of tasks per transaction;
- bare: the floor — DELETE the same people's identities, relationships and person rows by id, 1000 ids per
  statement, one transaction, straight through the driver.

Each measurement runs in its own subprocess so its peak RSS is its own. Prints a table and writes the
"Retention sweep" section of benchmarks/RESULTS.md. Nothing here asserts a time.

    python benchmarks/bench_retention.py [--people N] [--batch B ...]     (N also from BENCH_PEOPLE)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
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
from custos.retention.sweep import BATCH
from results import RESULTS, SWEEP, Goal, Load, Processes, goal_line, record_goal, write_section

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "examples" / "elastx" / "policy.yaml"
TODAY = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
CHUNK = 10_000
DELETE_BATCH = 1000
CONTACTS_PER_ORG = 10


def is_due(i: int) -> bool:
    """Person i (0-based) is due: every 20th is an old prospect, every 20th (offset 10) an old customer's contact."""
    return i % 20 in (0, 10)


# ---------------------------------------------------------------- building the register (parent side)


def _rows(n: int, keys: Any) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Chunks of (person, identity, relationship) rows; ids are i + 1, organisation ids are fixed by formula."""
    people, identities, relationships = [], [], []
    for i in range(n):
        pid = i + 1
        email = f"person{i}@bench{i % 997}.example.se"
        people.append((pid, str(uuid.UUID(int=pid)), keys.encrypt(f"Person {i}", "person.name"), NOW, NOW))
        identities.append((pid, pid, "email", keys.encrypt(email, "identity.value"), keys.blind_index("email", email)))
        if i % 2 == 0:  # a prospect, met long ago when due
            last = date(2014, 3, 1) if is_due(i) else date(2022, 6, 1)
            rel = (pid, pid, "prospect", "prospects", None, "legitimate_interest", last, last, last, NOW, NOW)
        else:  # a customer contact: of a customer that left in 2015 when due, of a current one otherwise
            org = _org_of(i)
            rel = (pid, pid, "customer_contact", "customer-contacts", org, "legitimate_interest", date(2010, 1, 1),
                   None, date(2015, 1, 1), NOW, NOW)  # fmt: skip
        relationships.append(rel)
        if len(people) >= CHUNK:
            yield people, identities, relationships
            people, identities, relationships = [], [], []
    if people:
        yield people, identities, relationships


def _org_of(i: int) -> int:
    # Contacts of leavers (i % 20 == 10) go to odd organisation ids, the others to even ones.
    return 2 * (i // (20 * CONTACTS_PER_ORG)) + 1 if is_due(i) else 2 * (i // (2 * CONTACTS_PER_ORG)) + 2


_PERSON = "person (id, ref, name_enc, created_at, updated_at)"
_IDENTITY = "identity (id, person_id, kind, value_enc, lookup)"
_RELATIONSHIP = (
    "relationship (id, person_id, subject_category, activity, organisation_id, legal_basis, started_on, "
    "last_interaction_on, collected_on, created_at, updated_at)"
)


def build_register(url: str, n: int, workdir: Path) -> None:
    from custos.crypto import load_key_file
    from custos.settings import load_settings
    from custos.setup import initialise

    settings = load_settings({}, None, overrides=_overrides(url, workdir))
    initialise(settings)
    keys = load_key_file(settings.key_file)
    engine = make_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    orgs = _org_of(n - 1) + 2
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO organisation (id, name, created_at) VALUES (:id, :name, :at)"),
            [{"id": k, "name": f"Organisation {k} AB", "at": NOW} for k in range(1, orgs + 1)],
        )
        connection.execute(
            text(
                "INSERT INTO organisation_role (organisation_id, role, started_on, ended_on) "
                "VALUES (:o, 'customer', :s, :e)"
            ),
            [{"o": k, "s": date(2005, 1, 1), "e": date(2015, 6, 30) if k % 2 else None} for k in range(1, orgs + 1)],
        )  # fmt: skip
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if sqlite:
            cursor.execute("BEGIN IMMEDIATE")
        for people, identities, relationships in _rows(n, keys):
            for table, rows in ((_PERSON, people), (_IDENTITY, identities), (_RELATIONSHIP, relationships)):
                if sqlite:
                    marks = ", ".join("?" * len(rows[0]))
                    cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
                else:
                    with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
        if sqlite:
            cursor.execute("COMMIT")
            cursor.execute("ANALYZE")
        else:
            for table in ("person", "identity", "relationship"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            raw.commit()
            driver = raw.dbapi_connection
            assert driver is not None
            driver.autocommit = True  # VACUUM refuses to run in a transaction
            driver.cursor().execute("VACUUM ANALYZE")
    finally:
        raw.close()
        engine.dispose()


def _overrides(url: str, workdir: Path) -> dict[str, str]:
    return {"database_url": url, "key_file": str(workdir / "custos.key"), "policy_path": str(POLICY)}


# ---------------------------------------------------------------- child side: one measurement per process


def _child(args: argparse.Namespace) -> None:
    if args.child == "custos":
        from custos.actor import Actor
        from custos.clock import FixedClock
        from custos.retention.sweep import run_sweep
        from custos.runtime import open_runtime
        from custos.settings import load_settings

        settings = load_settings({}, None, overrides=_overrides(args.url, Path(args.workdir)))
        clock = FixedClock(NOW)
        runtime = open_runtime(settings, clock)

        def run() -> int:
            reports = run_sweep(runtime, Actor.system("bench"), trigger="job", batch=args.batch)
            return reports[-1].erased

    else:

        def run() -> int:
            return _bare_delete(args.url, args.people)

    profiler = None
    if args.profile and args.child == "custos":
        import cProfile

        profiler = cProfile.Profile()
    before = rss_kib("VmRSS") or 0
    if not reset_peak_rss():
        before = peak_kib()
    start, cpu = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.enable()
    erased = run()
    if profiler is not None:
        profiler.disable()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if profiler is not None:
        profiler.dump_stats(args.profile)
    peak = peak_kib()
    print(json.dumps({"erased": erased, "seconds": seconds, "cpu": cpu, "growth_kib": peak - before}))


def _bare_delete(url: str, n: int) -> int:
    """The floor: the due people's ids are known; delete children then people, 1000 ids a statement."""
    engine = make_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    raw = engine.raw_connection()
    count = 0
    try:
        cursor = raw.cursor()
        if sqlite:
            cursor.execute("BEGIN IMMEDIATE")
        batch: list[int] = []
        for i in range(n):
            if is_due(i):
                batch.append(i + 1)
            if len(batch) >= DELETE_BATCH or (i == n - 1 and batch):
                marks = ", ".join(["?" if sqlite else "%s"] * len(batch))
                for statement in (
                    f"DELETE FROM identity WHERE person_id IN ({marks})",
                    f"DELETE FROM relationship WHERE person_id IN ({marks})",
                    f"DELETE FROM person WHERE id IN ({marks})",
                ):
                    cursor.execute(statement, batch)
                count += len(batch)
                batch = []
        if sqlite:
            cursor.execute("COMMIT")
        else:
            raw.commit()
    finally:
        raw.close()
        engine.dispose()
    return count


# ---------------------------------------------------------------- parent side


@dataclass
class Measurement:
    backend: str
    people: int
    method: str  # bare | custos/B (B tasks per transaction)
    erased: int
    seconds: float
    growth_mib: float
    load: Load | None = None
    cpu: float = 0.0  # this process's CPU seconds (SQLite's work included; PostgreSQL's server not)

    @property
    def per_second(self) -> float:
        return self.erased / self.seconds if self.seconds else 0.0


def _measure(
    backend: str, method: str, batch: int, url: str, people: int, workdir: Path, profile: Path | None
) -> Measurement:
    command = [sys.executable, __file__, "--child", method, "--url", url, "--people", str(people),
               "--workdir", str(workdir), "--batch", str(batch)]  # fmt: skip
    if profile is not None and method == "custos":
        command += ["--profile", str(profile / f"retention-{backend}-{people}-{batch}.prof")]
    load = Load.now()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    load = load.finished()
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"{method} on {backend} failed (exit {done.returncode})")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    label = method if method == "bare" else f"custos, {batch}/tx"
    return Measurement(
        backend,
        people,
        label,
        int(result["erased"]),
        float(result["seconds"]),
        result["growth_kib"] / 1024,
        load,
        float(result["cpu"]),
    )


class _Postgres:
    def __init__(self, admin_url: str) -> None:
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.admin_url = admin_url

    def url(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def execute(self, sql: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(sql))

    def version(self) -> str:
        with self.admin.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar())


def _run_backend(
    backend: str,
    server: _Postgres | None,
    sizes: list[int],
    batches: list[int],
    workdir: Path,
    console: Console,
    profile: Path | None = None,
) -> list[Measurement]:
    results = []
    for size in sizes:
        build_dir = workdir / f"{backend}-{size}"
        build_dir.mkdir(parents=True)
        template = f"custos_bench_tpl_{size}"
        started = time.perf_counter()
        if server is None:
            built = build_dir / "register.db"
            build_register(f"sqlite:///{built}", size, build_dir)
        else:
            server.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
            server.execute(f'CREATE DATABASE "{template}"')
            build_register(server.url(template), size, build_dir)
        console.print(f"{backend}: built a register of {size:,} people in {time.perf_counter() - started:.0f} s")
        try:
            for method, batch in [("bare", 0), *(("custos", b) for b in batches)]:
                if server is None:
                    copy = build_dir / f"{method}-{batch}.db"
                    shutil.copyfile(built, copy)
                    url = f"sqlite:///{copy}"
                else:
                    name = f"custos_bench_{method}_{batch}"
                    server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    server.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                    url = server.url(name)
                console.print(
                    f"{backend}: {method} sweep of {size:,} people" + (f", {batch} per transaction" if batch else "")
                )
                try:
                    results.append(_measure(backend, method, batch, url, size, build_dir, profile))
                finally:
                    if server is None:
                        copy.unlink()
                    else:
                        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            if server is not None:
                server.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
    return results


def _lines(results: list[Measurement]) -> list[list[str]]:
    bare = {(m.backend, m.people): m for m in results if m.method == "bare"}
    rows = []
    for m in results:
        if m.method == "bare":
            continue
        floor = bare[(m.backend, m.people)]
        rows.append([
            m.backend, f"{m.people:,}", m.method, f"{m.erased:,}", f"{m.per_second:,.0f}", f"{floor.per_second:,.0f}",
            f"{m.seconds / floor.seconds:.1f}×", f"{m.cpu / floor.cpu:.1f}×" if floor.cpu else "–",
            f"{m.growth_mib:,.1f} MiB", f"{floor.growth_mib:,.1f} MiB",
        ])  # fmt: skip
    return rows


HEADER = ["backend", "register", "custos", "erased", "custos erased/s", "bare erased/s", "ratio", "CPU ratio",
          "custos peak RSS +", "bare peak RSS +"]  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=int(os.environ.get("BENCH_PEOPLE", "1000000")))
    parser.add_argument(
        "--batch", type=int, nargs="+", default=[BATCH], help=f"tasks per transaction to measure (the sweep's: {BATCH})"
    )
    parser.add_argument("--no-results", action="store_true", help="do not rewrite benchmarks/RESULTS.md")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="profile each custos sweep with cProfile into DIR/retention-BACKEND-PEOPLE-BATCH.prof "
        "(read with `python -m pstats`; the timings then include the profiler's overhead)",
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), nargs="+", help="only these backends")
    parser.add_argument("--child", choices=("custos", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        args.batch = args.batch[0]
        _child(args)
        return
    console = Console()
    people = max(args.people, 40)
    postgres = find_postgres(console, _Postgres)
    results: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="custos-bench-retention-") as tmp:
        workdir = Path(tmp)
        backends: list[tuple[str, _Postgres | None]] = [("sqlite", None)]
        if postgres is not None:
            backends.append(("postgresql", postgres))
        if args.backend:
            backends = [(name, server) for name, server in backends if name in args.backend]
        if args.profile is not None:
            args.profile = args.profile.resolve()
            args.profile.mkdir(parents=True, exist_ok=True)
        for backend, server in backends:
            sizes = [people, people // 4]
            results += _run_backend(backend, server, sizes, args.batch, workdir / backend, console, args.profile)
    pg_version = postgres.version() if postgres is not None else None
    table = Table(*HEADER, title="Retention sweep: custos vs bare DELETEs of the same rows (goal: ratio ≤ 2×)")
    for row in _lines(results):
        table.add_row(*row)
    console.print(table)
    goals = _goals(results, people, write=not args.no_results)
    for goal in goals:
        console.print(goal_line(goal))
    if not args.no_results:
        _write(results, people, args.batch, machine(pg_version), goals)
        console.print(f"written to {RESULTS.relative_to(ROOT)}")


def _goals(results: list[Measurement], people: int, *, write: bool) -> list[Goal]:
    """Issue 16's row "retention sweep, 1 M people, 10 % due" per backend: the first batch size, at N."""
    bare = {m.backend: m for m in results if m.method == "bare" and m.people == people}
    goals = []
    for backend, floor in bare.items():
        m = next(r for r in results if r.backend == backend and r.people == people and r.method != "bare")
        ratio = m.seconds / floor.seconds
        goals.append(
            record_goal(
                "Retention sweep",
                backend,
                SWEEP,
                f"{ratio:.1f}× bare DELETEs ({m.per_second:,.0f} vs {floor.per_second:,.0f} erased/s)",
                None,
                ratio <= 2,
                Processes(
                    generator=1,
                    database=1 if backend == "postgresql" else 0,
                    detail=f"one process runs the sweep ({m.method})",
                ),
                m.load or Load.now(),
                size=None if people == 1_000_000 else f"{people:,} people, {m.erased:,} due",
                write=write,
            )
        )
    return goals


def _write(
    results: list[Measurement], people: int, batches: list[int], machine: dict[str, str], goals: list[Goal]
) -> None:
    lines = [
        "Written by `benchmarks/bench_retention.py`.",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- register: N = {people:,} people (and N/4), 10% due (half old prospects, half contacts of former "
        "customers); encrypted names and emails, blind indexes",
        f"- custos: `run_sweep`, {', '.join(map(str, batches))} tasks per transaction (each transaction commits "
        "its tasks, deletions, tombstones and audit events together)",
        *(f"- {k}: {v}" for k, v in machine.items()),
        "",
        "| " + " | ".join(HEADER) + " |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
        *("| " + " | ".join(row) + " |" for row in _lines(results)),
        "",
        "Ratio: custos time ÷ bare time for the same people (goal ≤ 2×); CPU ratio: the same for the CPU time of "
        "the measuring process (on SQLite all the work; on PostgreSQL without the server's), steadier than the "
        "ratio on a loaded machine. The bare DELETEs know the ids in advance; "
        "custos finds them (prefilter + per-person decision), re-checks each at erasure time, and writes a task, "
        "a tombstone and an audit event per person. Peak RSS +: the measuring process's peak resident "
        "memory during the sweep, less its resident memory just before; the same at N and N/4 means memory does "
        "not grow with the register.",
        "",
        *(goal_line(goal) for goal in goals),
        "",
    ]
    write_section("## Retention sweep", "\n".join(lines))


if __name__ == "__main__":
    main()
