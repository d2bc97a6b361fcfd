"""The DPO dashboard with a large register: GET /admin against two baselines measured in the same run.

For each backend (SQLite, and PostgreSQL when its server answers) a register of N people (default 1,000,000) is
built with the retention benchmark's builder (real AES-GCM encryption and blind indexes, half prospects, half
customer contacts, 10% of them due), plus N/10 consent records over the last 60 days, 50 open data subject
requests and an open breach. Then, in one process, with a DPO logged in through the real login (password + TOTP):
- dashboard: GET /admin as the DPO, every panel shown (requests by days left, breaches, retention due in 30/90
  days, consent rates, failed erasure steps, expiring grants, the register's counts);
- healthz: GET /healthz through the same app and client (the floor of one HTTP round trip through the app);
- count: one `SELECT count(*) FROM person` on the same database (the floor of touching the register at all).

Each is run R times after one warm-up; the table shows the median and the slowest. Prints a table and writes the
"DPO dashboard" section of benchmarks/RESULTS.md. Nothing here asserts a time.

    python benchmarks/bench_dashboard.py [--people N] [--repeat R] [--no-results]     (N also from BENCH_PEOPLE)
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench_retention import NOW, POLICY, build_register
from common import find_postgres, machine
from results import RESULTS, write_section

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
HEADER = ("backend", "people", "what", "median ms", "slowest ms", "× healthz", "× count(*)")


@dataclass(frozen=True)
class Row:
    backend: str
    people: int
    what: str
    median_ms: float
    slowest_ms: float


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


def _extras(url: str, people: int) -> None:
    """Consent records, open requests and a breach, so that every panel has something to count."""
    from custos.actor import Actor
    from custos.clock import FixedClock
    from custos.consent.models import ConsentRecord
    from custos.incidents import service as incidents
    from custos.incidents.schemas import IncidentCreate
    from custos.requests import cases
    from custos.requests.schemas import RequestCreate
    from custos.runtime import open_runtime
    from custos.settings import load_settings
    from custos.work import Work

    settings = load_settings({}, None, overrides=_overrides(url))
    runtime = open_runtime(settings, FixedClock(NOW))
    actor = Actor.system("bench")
    try:
        with runtime.db.transaction() as session:
            session.execute(
                ConsentRecord.__table__.insert(),
                [
                    {
                        "id": uuid.uuid4().hex,
                        "visitor_id": uuid.uuid4().hex,
                        "at": NOW - timedelta(minutes=n * 60 * 24 * 60 // max(people // 10, 1)),
                        "policy_version": runtime.policy.current_version,
                        "policy_hash": "0" * 64,
                        "inventory_hash": "0" * 64,
                        "choices": {"analytics": n % 3 != 0},
                        "kind": "consent" if n % 3 else "refusal",
                        "method": "banner",
                        "gpc": False,
                        "expires_at": NOW + timedelta(days=365),
                    }
                    for n in range(max(people // 10, 1))
                ],
            )
            for n in range(50):
                req, _ = cases.create(
                    Work(session, runtime.clock, runtime.keys, runtime.policy, actor),
                    RequestCreate(kind="access", email=f"r{n}@example.se"),
                    channel="staff",
                )
                req.due_on = NOW.date() + timedelta(days=n - 10)
            incidents.open_incident(
                Work(session, runtime.clock, runtime.keys, runtime.policy, actor),
                IncidentCreate(summary="Bench breach", reported_by="bench", kinds=["confidentiality"], aware_at=NOW),
            )
    finally:
        runtime.close()


_WORKDIR: Path = Path()


def _overrides(url: str) -> dict[str, str]:
    return {"database_url": url, "key_file": str(_WORKDIR / "custos.key"), "policy_path": str(POLICY)}


def _timed(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    call()  # warm-up: caches, compiled statements, the first connection
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def _measure(backend: str, url: str, people: int, repeat: int) -> list[Row]:
    import pyotp
    from fastapi.testclient import TestClient

    from custos.access.models import Grant, Staff
    from custos.access.passwords import hash_password
    from custos.app import create_app
    from custos.clock import FixedClock
    from custos.runtime import open_runtime
    from custos.settings import load_settings

    settings = load_settings({}, None, overrides=_overrides(url))
    clock = FixedClock(NOW)
    runtime = open_runtime(settings, clock)
    secret = pyotp.random_base32()
    with runtime.db.transaction() as session:
        staff = Staff(
            email="dpo@bench.example.se",
            name="Bench DPO",
            status="active",
            password_hash=hash_password(PASSWORD),
            must_change_password=False,
            created_at=NOW,
            totp_secret=secret,
            totp_enabled_at=NOW,
        )
        session.add(staff)
        session.flush()
        session.add(Grant(staff_id=staff.id, role="dpo", scope="*", granted_at=NOW))
    rows = []
    try:
        with TestClient(create_app(settings, runtime=runtime)) as client:
            login = client.post(
                "/api/v1/auth/login",
                json={"email": "dpo@bench.example.se", "password": PASSWORD, "code": pyotp.TOTP(secret).at(NOW)},
            )
            assert login.status_code == 200, login.text

            def dashboard() -> None:
                page = client.get("/admin")
                assert page.status_code == 200, page.status_code
                assert 'id="panel-retention"' in page.text

            def healthz() -> None:
                assert client.get("/healthz").status_code == 200

            engine = runtime.db.engine

            def count() -> None:
                with engine.connect() as connection:
                    connection.execute(text("SELECT count(*) FROM person")).scalar()

            for what, call in (("dashboard", dashboard), ("healthz", healthz), ("count(*)", count)):
                median, slowest = _timed(call, repeat)
                rows.append(Row(backend, people, what, median, slowest))
    finally:
        runtime.close()
    return rows


def _lines(rows: list[Row]) -> list[list[str]]:
    out = []
    for row in rows:
        base = {r.what: r.median_ms for r in rows if r.backend == row.backend}
        out.append(
            [
                row.backend,
                f"{row.people:,}",
                row.what,
                f"{row.median_ms:.1f}",
                f"{row.slowest_ms:.1f}",
                f"{row.median_ms / base['healthz']:.1f}",
                f"{row.median_ms / base['count(*)']:.1f}",
            ]
        )
    return out


def main(argv: list[str] | None = None) -> None:
    global _WORKDIR
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=int(os.environ.get("BENCH_PEOPLE", "1000000")))
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--no-results", action="store_true", help="do not rewrite benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    console = Console()
    people = max(args.people, 40)
    postgres = find_postgres(console, _Postgres)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="custos-bench-dashboard-") as tmp:
        for backend in ("sqlite", "postgresql"):
            if backend == "postgresql" and postgres is None:
                continue
            _WORKDIR = Path(tmp) / backend
            _WORKDIR.mkdir()
            name = f"custos_bench_dash_{uuid.uuid4().hex[:8]}"
            if postgres is not None and backend == "postgresql":
                postgres.execute(f'CREATE DATABASE "{name}"')
                url = postgres.url(name)
            else:
                url = f"sqlite:///{_WORKDIR / 'custos.db'}"
            try:
                started = time.perf_counter()
                build_register(url, people, _WORKDIR)
                _extras(url, people)
                console.print(f"{backend}: register of {people:,} built in {time.perf_counter() - started:.0f} s")
                rows += _measure(backend, url, people, args.repeat)
            finally:
                if postgres is not None and backend == "postgresql":
                    postgres.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    table = Table(*HEADER, title="DPO dashboard: GET /admin vs GET /healthz and a bare count(*) (goal: well under 1 s)")
    for line in _lines(rows):
        table.add_row(*line)
    console.print(table)
    if not args.no_results:
        _write(rows, people, machine(postgres.version() if postgres is not None else None))
        console.print(f"written to {RESULTS.relative_to(ROOT)}")


def _write(rows: list[Row], people: int, facts: dict[str, str]) -> None:
    lines = [
        "Written by `benchmarks/bench_dashboard.py`.",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- register: N = {people:,} people (half prospects, half customer contacts; encrypted, blind-indexed), "
        f"{max(people // 10, 1):,} consent records, 50 open requests, one open breach",
        "- dashboard: GET /admin as a DPO (every panel), in-process HTTP client, median of the runs after a warm-up",
        f"- load average (1 min) when writing: {os.getloadavg()[0]:.1f} (the machine is shared; figures are noisy)",
        *(f"- {k}: {v}" for k, v in facts.items()),
        "",
        "| " + " | ".join(HEADER) + " |",
        "|---|---:|---|---:|---:|---:|---:|",
        *("| " + " | ".join(line) + " |" for line in _lines(rows)),
        "",
        "× healthz: the dashboard's median over GET /healthz through the same app (one HTTP round trip); "
        "× count(*): over a bare `SELECT count(*) FROM person`. Goal: the dashboard well under a second at 1,000,000 "
        "people. Every panel is aggregate SQL; the heaviest is the retention panel, one pass over the relationships "
        "counting the sweep's prefilter at 30 and 90 days, plus the exact past-due walk, which stops at 250 people "
        f'("at least 250"; this register has {people // 10:,} past due). Above 20,000 people the promises that walk '
        "the register are read from the last doctor run instead of run per view.",
        "",
    ]
    write_section("## DPO dashboard", "\n".join(lines))


if __name__ == "__main__":
    main()
