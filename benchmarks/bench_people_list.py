"""The People list with a large register: the first page of the list and of a name search, against a bare
`SELECT … LIMIT 50` of the same table measured in the same run.

For each backend (SQLite, and PostgreSQL when its server answers) a register of N people (default 1,000,000) is
built with bulk inserts of pre-encrypted rows (real AES-GCM names and HMAC name tokens from the installation's
KeyRing; Swedish first and last names from the demo's word lists, so a first name is shared by about one person
in sixty), half prospects and half customer contacts of 5,000 organisations, 10% of them past due. Then, in one
process, each of these R times after a warm-up, as the admin page calls them (one transaction with the
`person.list` audit events):
- list: the first page, newest first, every person's categories by title, organisations and next due date;
- name search: the first page of a search for a first and a last name ("anna lind": every person having both);
- past due: the first page of the "past due" filter (the retention prefilter, then exact judgement);
- bare: `SELECT id, ref, name_enc FROM person ORDER BY id DESC LIMIT 50` (the floor of touching the table).

Prints a table and writes the "People list" section of benchmarks/RESULTS.md. Nothing here asserts a time.

    python benchmarks/bench_people_list.py [--people N] [--repeat R] [--no-results]     (N also from BENCH_PEOPLE)
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from common import find_postgres, machine
from custos.db import make_engine
from results import RESULTS, write_section

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "examples" / "elastx" / "policy.yaml"
NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
CHUNK = 10_000
ORGS = 5_000
HEADER = ("backend", "people", "what", "rows", "median ms", "slowest ms", "× bare")
SEARCH = "anna lind"


@dataclass(frozen=True)
class Row:
    backend: str
    people: int
    what: str
    rows: int
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


def _overrides(url: str, workdir: Path) -> dict[str, str]:
    return {"database_url": url, "key_file": str(workdir / "custos.key"), "policy_path": str(POLICY)}


def _rows(n: int, keys: Any) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Chunks of (person, relationship, name token) rows; person i has id i + 1."""
    from custos.demo._names import SWEDISH_FIRST, SWEDISH_LAST
    from custos.register import name_index

    cache: dict[str, bytes] = {}

    def token(word: str) -> bytes:
        if word not in cache:
            cache[word] = name_index.token(keys.active, word)
        return cache[word]

    people: list[tuple[Any, ...]] = []
    relationships: list[tuple[Any, ...]] = []
    tokens: list[tuple[Any, ...]] = []
    for i in range(n):
        pid = i + 1
        first = SWEDISH_FIRST[i % len(SWEDISH_FIRST)]
        last = SWEDISH_LAST[(i // len(SWEDISH_FIRST)) % len(SWEDISH_LAST)]
        name = f"{first} {last}"
        people.append((pid, str(uuid.UUID(int=pid)), keys.encrypt(name, "person.name"), NOW, NOW))
        tokens.extend((pid, token(word)) for word in name_index.words(name))
        due = i % 10 == 0
        if i % 2 == 0:  # a prospect, last met long ago when due
            last_met = date(2014, 3, 1) if due else date(2022, 6, 1) + timedelta(days=i % 900)
            rel = (pid, pid, "prospect", "prospects", None, "legitimate_interest", last_met, last_met, last_met,
                   "Cloud fair Stockholm 2025" if i % 4 else "CRM", NOW, NOW)  # fmt: skip
        else:  # a customer contact: of an organisation that left in 2015 (odd ids) or is still a customer
            org = 2 * ((i // 20) % (ORGS // 2)) + (1 if due else 2)
            rel = (pid, pid, "customer_contact", "customer-contacts", org, "legitimate_interest", date(2010, 1, 1),
                   None, date(2015, 1, 1), "CRM", NOW, NOW)  # fmt: skip
        relationships.append(rel)
        if len(people) >= CHUNK:
            yield people, relationships, tokens
            people, relationships, tokens = [], [], []
    if people:
        yield people, relationships, tokens


_PERSON = "person (id, ref, name_enc, created_at, updated_at)"
_RELATIONSHIP = (
    "relationship (id, person_id, subject_category, activity, organisation_id, legal_basis, started_on, "
    "last_interaction_on, collected_on, source, created_at, updated_at)"
)
_TOKEN = "person_name_token (person_id, token)"


def build_register(url: str, n: int, workdir: Path) -> None:
    from custos.crypto import load_key_file
    from custos.settings import load_settings
    from custos.setup import initialise

    settings = load_settings({}, None, overrides=_overrides(url, workdir))
    initialise(settings)
    keys = load_key_file(settings.key_file)
    engine = make_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO organisation (id, name, created_at) VALUES (:id, :name, :at)"),
            [{"id": k, "name": f"Organisation {k} AB", "at": NOW} for k in range(1, ORGS + 1)],
        )
        connection.execute(
            text(
                "INSERT INTO organisation_role (organisation_id, role, started_on, ended_on) "
                "VALUES (:o, 'customer', :s, :e)"
            ),
            [{"o": k, "s": date(2005, 1, 1), "e": date(2015, 6, 30) if k % 2 else None} for k in range(1, ORGS + 1)],
        )  # fmt: skip
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if sqlite:
            cursor.execute("BEGIN IMMEDIATE")
        for people, relationships, tokens in _rows(n, keys):
            for table, rows in ((_PERSON, people), (_RELATIONSHIP, relationships), (_TOKEN, tokens)):
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
            for table in ("person", "relationship"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            raw.commit()
            driver = raw.dbapi_connection
            assert driver is not None
            driver.autocommit = True  # VACUUM refuses to run in a transaction
            driver.cursor().execute("VACUUM ANALYZE")
    finally:
        raw.close()
        engine.dispose()


def _timed(call: Callable[[], int], repeat: int) -> tuple[int, float, float]:
    rows = call()  # warm-up: caches, compiled statements, the first connection
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return rows, statistics.median(times), max(times)


def _measure(backend: str, url: str, workdir: Path, people: int, repeat: int) -> list[Row]:
    from custos.actor import Actor
    from custos.casework.listing import PeopleFilter, read_people
    from custos.clock import FixedClock
    from custos.runtime import open_runtime
    from custos.settings import load_settings

    settings = load_settings({}, None, overrides=_overrides(url, workdir))
    runtime = open_runtime(settings, FixedClock(NOW))
    actor = Actor(kind="staff", id=1, label="staff:1")
    out = []
    try:

        def page(where: PeopleFilter) -> Callable[[], int]:
            def call() -> int:
                # As the People page reads it: the page and its person.list events, in one unit.
                with runtime.work(actor) as work:
                    return len(read_people(work, where, via="admin").rows)

            return call

        def bare() -> int:
            with runtime.db.engine.connect() as connection:
                rows = connection.execute(text("SELECT id, ref, name_enc FROM person ORDER BY id DESC LIMIT 50")).all()
                return len(rows)

        for what, call in (
            ("list", page(PeopleFilter())),
            (f'name search "{SEARCH}"', page(PeopleFilter(search=SEARCH))),
            ("past due", page(PeopleFilter(due="past"))),
            ("bare SELECT … LIMIT 50", bare),
        ):
            rows, median, slowest = _timed(call, repeat)
            out.append(Row(backend, people, what, rows, median, slowest))
    finally:
        runtime.close()
    return out


def _lines(rows: list[Row]) -> list[list[str]]:
    out = []
    for row in rows:
        floor = next(r.median_ms for r in rows if r.backend == row.backend and r.what.startswith("bare"))
        out.append(
            [
                row.backend,
                f"{row.people:,}",
                row.what,
                str(row.rows),
                f"{row.median_ms:.1f}",
                f"{row.slowest_ms:.1f}",
                f"{row.median_ms / floor:.1f}",
            ]
        )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=int(os.environ.get("BENCH_PEOPLE", "1000000")))
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--no-results", action="store_true", help="do not rewrite benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    console = Console()
    people = max(args.people, 1000)
    postgres = find_postgres(console, _Postgres)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="custos-bench-people-") as tmp:
        for backend in ("sqlite", "postgresql"):
            if backend == "postgresql" and postgres is None:
                continue
            workdir = Path(tmp) / backend
            workdir.mkdir()
            name = f"custos_bench_people_{uuid.uuid4().hex[:8]}"
            if postgres is not None and backend == "postgresql":
                postgres.execute(f'CREATE DATABASE "{name}"')
                url = postgres.url(name)
            else:
                url = f"sqlite:///{workdir / 'custos.db'}"
            try:
                started = time.perf_counter()
                build_register(url, people, workdir)
                console.print(f"{backend}: register of {people:,} built in {time.perf_counter() - started:.0f} s")
                rows += _measure(backend, url, workdir, people, args.repeat)
            finally:
                if postgres is not None and backend == "postgresql":
                    postgres.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    table = Table(*HEADER, title="People list: first pages vs a bare SELECT … LIMIT 50 (goal: well under 1 s)")
    for line in _lines(rows):
        table.add_row(*line)
    console.print(table)
    if not args.no_results:
        _write(rows, people, machine(postgres.version() if postgres is not None else None))
        console.print(f"written to {RESULTS.relative_to(ROOT)}")


def _write(rows: list[Row], people: int, facts: dict[str, str]) -> None:
    lines = [
        "Written by `benchmarks/bench_people_list.py`.",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- register: N = {people:,} people (half prospects, half customer contacts of {ORGS:,} organisations; "
        "names encrypted, name tokens keyed), 10% past due",
        "- each page: one transaction as the admin page runs it — the filter, the page's names decrypted, categories "
        "by title, organisations, next due date judged by the retention engine, `person.list` audit events; "
        "median of the runs after a warm-up",
        f"- load average (1 min) when writing: {os.getloadavg()[0]:.1f} (the machine is shared; figures are noisy)",
        *(f"- {k}: {v}" for k, v in facts.items()),
        "",
        "| " + " | ".join(HEADER) + " |",
        "|---|---:|---|---:|---:|---:|---:|",
        *("| " + " | ".join(line) + " |" for line in _lines(rows)),
        "",
        "× bare: the page's median over a bare `SELECT id, ref, name_enc FROM person ORDER BY id DESC LIMIT 50` on "
        "the same database in the same run. Goal: each first page well under a second at 1,000,000 people. The list "
        "is keyset-paged newest first, so a later page costs the same as the first; a name search intersects the "
        "people holding each word's token (index on the token).",
        "",
    ]
    write_section("## People list", "\n".join(lines))


if __name__ == "__main__":
    main()
