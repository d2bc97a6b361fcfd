"""Data subject requests end to end: a verified access request to a written package, and a verified erasure
request to completed, across the register and a connected PostgreSQL system, against hand-written SQL.

The connected system is `bench_systems.py`'s shop of N customers (default 1,000,000: customers, addresses,
orders, order lines, tickets matched by email; built once and kept), always on PostgreSQL. Custos's own
database is SQLite and PostgreSQL in turn (`--backends`), a fresh one per run, with the example policy
connecting the shop; the people measured are in its register (encrypted, blind-indexed), as in a real
installation.

- custos access: the request taken in (`cases.create`, identity taken as confirmed: verification switched off,
  as in the Fides figure the issue compares with), then `drive_request`: tasks planned, the register part and
  the shop's export staged, the ZIP written (JSON + CSV per table, the HTML summary, the Art. 15 information).
- bare access: the floor — five hand-written SELECTs on the shop and one on the register, the rows dumped as
  JSON into a ZIP.
- custos erasure: the same intake, `drive_request` (the shop's rows deleted by the mapping's rules, then the
  register's person with a tombstone and the audit events), then `complete` (the answer letter written to the
  file outbox).
- bare erasure: five hand-written DELETEs on the shop and the register person's rows, one transaction each.

p50/p99 over P people (default 100) one at a time; then issue 16's "requests, 20 in flight" (goal ≥ 200/s):
F requests of each kind (default 200) with 20 clients at once, each submitting and driving its requests to
the end through the same calls, custos and bare alike, as 20 threads in this process sharing one runtime (as
measured before issue 16) and as 20 spawned processes (each its own runtime and pools, like separate server
workers; started and warmed up before the clock runs) (`--clients`; the first listed is the goal's
figure). The most PostgreSQL backends in use during each flight are counted (pg_stat_activity). The erased
shop rows are put back afterwards. Writes the "Data subject requests" section of RESULTS.md and the goal
rows (results.py).

    python benchmarks/bench_requests.py [--customers N] [--people 100] [--flight 200]
        [--clients threads,processes] [--backends sqlite,postgresql] [--no-results]
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import random
import re
import statistics
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from bench_systems import BARE_ERASE, BARE_EXPORT, MAPPING, Postgres, bare, build, email, restore
from common import PeakConnections, find_postgres, machine, percentile, timed
from custos.actor import Actor
from custos.clock import FixedClock
from custos.register.people import add_person
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.requests import answers, cases
from custos.requests.driver import drive_request
from custos.requests.schemas import RequestCreate
from custos.runtime import Runtime, open_runtime
from custos.settings import Settings, load_settings
from custos.setup import initialise
from results import ACCESS, ERASURE, RESULTS, Goal, Load, Processes, goal_line, record_goal, write_section

HEADING = "## Data subject requests: access and erasure end to end"
ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "examples" / "elastx" / "policy.yaml"
STAFF = Actor(kind="staff", id=None, label="staff:bench")
IN_FLIGHT = 20
EXTRA_CATEGORIES = (
    "  - id: contact.address\n    description: Postal address\n"
    "  - id: finance.order\n    description: Orders and order lines\n"
    "  - id: support.ticket\n    description: Support tickets\n"
)


def _policy(directory: Path) -> Path:
    """The example policy with the shop as its one connected system (and the shop mapping's categories)."""
    policy = POLICY.read_text(encoding="utf-8")
    systems = (
        "systems:\n  - id: shop\n    name: Shop\n    environment: production\n    kind: sql\n    mapping: shop.yaml\n\n"
    )
    policy = re.sub(r"(?ms)^systems:\n.*?(?=^processor:)", lambda _m: systems, policy)
    policy = re.sub(r"(?m)^    systems: \[.*\]$", "    systems: [shop]", policy)
    policy = policy.replace("data_categories:\n", "data_categories:\n" + EXTRA_CATEGORIES, 1)
    (directory / "shop.yaml").write_text(MAPPING, encoding="utf-8")
    (directory / "policy.yaml").write_text(policy, encoding="utf-8")
    return directory / "policy.yaml"


CUSTOS_DB = "custos_bench_requests"
START = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def custos_settings(backend: str, server: Postgres, directory: Path) -> Settings:
    """Custos's own database: a fresh SQLite file in `directory`, or a fresh PostgreSQL database."""
    if backend == "postgresql":
        server.create(CUSTOS_DB)
        url = server.database(CUSTOS_DB)
    else:
        url = f"sqlite:///{directory / 'custos.db'}"
    return load_settings(
        {},
        None,
        overrides={
            "database_url": url,
            "key_file": str(directory / "custos.key"),
            "policy_path": str(_policy(directory)),
            "packages_dir": str(directory / "packages"),
            "outbox_dir": str(directory / "outbox"),
        },
    )


def open_custos(settings: Settings, shop_url: str) -> Runtime:
    return open_runtime(replace(settings), FixedClock(START), environ={"CUSTOS_SYSTEM_SHOP_URL": shop_url})


def register(runtime: Runtime, customers: list[int]) -> None:
    with runtime.work(STAFF) as work:
        for customer in customers:
            prospect = RelationshipCreate(subject_category="prospect", last_interaction_on=date(2026, 5, 4))
            add_person(
                work,
                PersonCreate(name=f"Customer {customer}", emails=[email(customer)], relationships=[prospect]),
            )


def verified(runtime: Runtime, kind: str, customer: int) -> str:
    """A request taken in with the identity confirmed (verification switched off, as in the Fides figure)."""
    with runtime.work(STAFF) as work:
        req, _ = cases.create(
            work,
            RequestCreate(kind=kind, email=email(customer)),
            channel="api",  # type: ignore[arg-type]
        )
        cases.move(work, req, "verified", note="benchmark: verification off")
        return req.ref


def custos_access(runtime: Runtime, customer: int) -> None:
    ref = verified(runtime, "access", customer)
    result = drive_request(runtime, ref)
    assert result.ready, result


def custos_erasure(runtime: Runtime, customer: int) -> None:
    ref = verified(runtime, "erasure", customer)
    result = drive_request(runtime, ref)
    assert result.ready, result
    answers.complete(runtime, ref, STAFF, note=None)


def bare_access(shop: Engine, custos: Engine, customer: int, person: int, folder: Path) -> None:
    tables: dict[str, list[list[Any]]] = {}
    with shop.connect() as connection:
        cursor = connection.connection.cursor()
        for index, sql in enumerate(BARE_EXPORT):
            cursor.execute(sql, {"e": email(customer)})
            tables[f"t{index}"] = [list(row) for row in cursor.fetchall()]
        cursor.close()
        connection.connection.commit()
    with custos.connect() as connection:
        tables["register"] = [
            list(row)
            for row in connection.execute(
                text(
                    "SELECT p.ref, p.name_enc, i.value_enc, r.activity FROM person p "
                    "JOIN identity i ON i.person_id = p.id JOIN relationship r ON r.person_id = p.id WHERE p.id = :p"
                ),
                {"p": person},
            )
        ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in tables.items():
            archive.writestr(f"{name}.json", json.dumps(rows, default=str))
    (folder / f"bare-{customer}.zip").write_bytes(buffer.getvalue())


def bare_erasure(shop: Engine, custos: Engine, customer: int, person_ids: dict[int, int]) -> None:
    bare(shop, BARE_ERASE, email(customer))
    person = person_ids[customer]
    with custos.begin() as connection:
        for table in ("identity", "relationship"):
            connection.execute(text(f"DELETE FROM {table} WHERE person_id = :p"), {"p": person})
        connection.execute(text("DELETE FROM person WHERE id = :p"), {"p": person})


# ---------------------------------------------------------------- clients: 20 in flight


@dataclass(frozen=True)
class Job:
    """What a client needs to act on its own: the installation, the shop, the people's register ids, a folder."""

    settings: Settings
    shop_url: str
    person_ids: dict[int, int]
    folder: str


class Actions:
    """The four measured actions with one client's runtime and shop pool (threads share one; a process has its own)."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.runtime = open_custos(job.settings, job.shop_url)
        self.shop = create_engine(job.shop_url, pool_size=IN_FLIGHT, max_overflow=5)

    def run(self, what: str, customer: int) -> None:
        custos, folder, ids = self.runtime.db.engine, Path(self.job.folder), self.job.person_ids
        if what == "access custos":
            custos_access(self.runtime, customer)
        elif what == "access bare":
            bare_access(self.shop, custos, customer, ids[customer], folder)
        elif what == "erase custos":
            custos_erasure(self.runtime, customer)
        elif what == "erase bare":
            bare_erasure(self.shop, custos, customer, ids)
        else:
            raise ValueError(what)

    def close(self) -> None:
        self.shop.dispose()
        self.runtime.close()


class ThreadClients:
    """IN_FLIGHT threads in the benchmark's process, sharing its runtime (and so its connection pools)."""

    kind = "threads"

    def __init__(self, actions: Actions) -> None:
        self.actions = actions

    def run(self, what: str, customers: list[int]) -> float:
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
            list(pool.map(lambda c: self.actions.run(what, c), customers))
        return len(customers) / (time.perf_counter() - started)

    def close(self) -> None:
        pass


class ProcessClients:
    """IN_FLIGHT spawned processes, each with its own runtime and pools (as separate server workers would have),
    started and warmed up before the clock runs; each flight starts on a barrier and ends when the last is done."""

    kind = "processes"

    def __init__(self, job: Job, warm: list[int]) -> None:
        context = multiprocessing.get_context("spawn")
        self.barrier = context.Barrier(IN_FLIGHT + 1)
        self.done: Any = context.Queue()
        self.inboxes: list[Any] = [context.Queue() for _ in range(IN_FLIGHT)]
        self.processes = [
            context.Process(target=_client, args=(job, inbox, self.barrier, self.done, warm), daemon=True)
            for inbox in self.inboxes
        ]
        for process in self.processes:
            process.start()
        self._collect("ready")

    def run(self, what: str, customers: list[int]) -> float:
        for index, inbox in enumerate(self.inboxes):
            inbox.put((what, customers[index::IN_FLIGHT]))
        self.barrier.wait(timeout=BARRIER_TIMEOUT)
        started = time.monotonic()  # CLOCK_MONOTONIC: the same clock in every process
        return len(customers) / (max(self._collect("done")) - started)

    def _collect(self, expected: str) -> list[float]:
        answers = [self.done.get(timeout=BARRIER_TIMEOUT) for _ in self.processes]
        errors = [str(value) for state, value in answers if state == "error"]
        if errors:
            raise SystemExit(f"error: a client process failed: {errors[0]}")
        assert all(state == expected for state, _ in answers), answers
        return [float(value) for _, value in answers]

    def close(self) -> None:
        for inbox in self.inboxes:
            inbox.put(None)
        for process in self.processes:
            process.join(timeout=60)


BARRIER_TIMEOUT = 600


def _client(job: Job, inbox: Any, barrier: Any, done: Any, warm: list[int]) -> None:
    """One client process: warm up, then for each flight wait on the barrier and act on its share."""
    try:
        actions = Actions(job)
    except BaseException as exc:
        done.put(("error", repr(exc)))
        raise
    try:
        for customer in warm:
            actions.run("access custos", customer)
            actions.run("access bare", customer)
        done.put(("ready", 0.0))
        while (command := inbox.get()) is not None:
            what, share = command
            barrier.wait(timeout=BARRIER_TIMEOUT)
            for customer in share:
                actions.run(what, customer)
            done.put(("done", time.monotonic()))
    except BaseException as exc:
        done.put(("error", repr(exc)))
        raise
    finally:
        actions.close()


# ---------------------------------------------------------------- measurement


WHATS = ("access custos", "access bare", "erase custos", "erase bare")


def measure(
    backend: str,
    server: Postgres,
    shop_url: str,
    customers: int,
    people: int,
    flight: int,
    modes: list[str],
    console: Console,
) -> dict[str, Any]:
    rng = random.Random(20261130)
    wanted = 10 + 3 * people + len(modes) * 3 * flight
    if wanted > customers:
        raise SystemExit(f"error: {wanted:,} distinct customers needed, the shop has {customers:,}")
    chosen = iter(rng.sample(range(1, customers + 1), wanted))
    take = lambda n: [next(chosen) for _ in range(n)]  # noqa: E731
    warm, access, erase_custos, erase_bare = take(10), take(people), take(people), take(people)
    flights = {
        mode: {"access": take(flight), "erase custos": take(flight), "erase bare": take(flight)} for mode in modes
    }
    erased = erase_custos + erase_bare + [c for f in flights.values() for c in f["erase custos"] + f["erase bare"]]
    times: dict[str, list[float]] = {what: [] for what in WHATS}
    rates: dict[str, dict[str, float]] = {mode: {} for mode in modes}
    peaks: dict[str, dict[str, int]] = {mode: {} for mode in modes}
    loads: dict[str, Load] = {}
    databases = [make_url(shop_url).database or ""] + ([CUSTOS_DB] if backend == "postgresql" else [])
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        settings = custos_settings(backend, server, folder)
        initialise(settings, FixedClock(START))
        actions = Actions(Job(settings, shop_url, {}, scratch))
        try:
            console.print(f"{backend}: registering the people measured…")
            register(actions.runtime, _all(warm, access, erase_custos, erase_bare, flights))
            person_ids = _person_ids(actions.runtime)
            actions.job = job = Job(settings, shop_url, person_ids, scratch)
            for customer in warm:
                actions.run("access custos", customer)
                actions.run("access bare", customer)
            console.print(f"{backend}: access and erasure, {people} people each, one at a time…")
            loads["one at a time"] = Load.now()
            for customer in access:
                times["access custos"].append(timed(lambda c=customer: actions.run("access custos", c)))  # type: ignore[misc]
                times["access bare"].append(timed(lambda c=customer: actions.run("access bare", c)))  # type: ignore[misc]
            for mine, theirs in zip(erase_custos, erase_bare, strict=True):
                times["erase custos"].append(timed(lambda c=mine: actions.run("erase custos", c)))  # type: ignore[misc]
                times["erase bare"].append(timed(lambda c=theirs: actions.run("erase bare", c)))  # type: ignore[misc]
            loads["one at a time"] = loads["one at a time"].finished()
            for mode in modes:
                console.print(f"{backend}: {flight} of each with {IN_FLIGHT} in flight ({mode})…")
                clients = ThreadClients(actions) if mode == "threads" else ProcessClients(job, warm[:2])
                try:
                    loads[mode] = Load.now()
                    for what, who in (
                        ("access custos", flights[mode]["access"]),
                        ("access bare", flights[mode]["access"]),
                        ("erase custos", flights[mode]["erase custos"]),
                        ("erase bare", flights[mode]["erase bare"]),
                    ):
                        with PeakConnections(server.admin, databases) as peak:
                            rates[mode][what] = clients.run(what, who)
                        peaks[mode][what] = peak.most
                    loads[mode] = loads[mode].finished()
                finally:
                    clients.close()
            package = next((folder / "packages").glob("*.zip"))
            size = package.stat().st_size
        finally:
            console.print("putting the erased people back in the shop…")
            restore(actions.shop, erased)
            actions.close()
            if backend == "postgresql":
                with server.admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{CUSTOS_DB}" WITH (FORCE)'))
    return {"times": times, "rates": rates, "peaks": peaks, "package_bytes": size, "loads": loads}


def _all(*groups: Any) -> list[int]:
    found: list[int] = []
    for group in groups:
        if isinstance(group, dict):
            found += _all(*group.values())
        else:
            found += group
    return found


def _person_ids(runtime: Runtime) -> dict[int, int]:
    """Register person id by shop customer number, through the blind index (as the driver finds them)."""
    found: dict[int, int] = {}
    with runtime.db.transaction() as session:
        for person_id, value_enc in session.execute(
            text("SELECT person_id, value_enc FROM identity WHERE kind = 'email'")
        ):
            value = runtime.keys.decrypt(value_enc, "identity.value")
            found[int(value.split("@")[0].removeprefix("customer"))] = person_id
    return found


# ---------------------------------------------------------------- report

P50_GOALS = {"access": 60, "erase": 120}
RATE_GOAL = 200.0
WORKS = {"access": ACCESS, "erase": ERASURE}


def _processes(backend: str, mode: str, peak: int) -> Processes:
    clients = (
        f"{IN_FLIGHT} threads in the benchmark's process"
        if mode == "threads"
        else (f"{IN_FLIGHT} spawned client processes, each with its own runtime and pools")
    )
    where = "the shop's and Custos's" if backend == "postgresql" else "the shop's; Custos's SQLite runs in the clients"
    return Processes(
        generator=1 if mode == "threads" else IN_FLIGHT,
        workers=0,
        database=peak,
        detail=f"{clients}, the services called in-process (no server); "
        f"at most {peak} PostgreSQL backends connected ({where})",
    )


def goals(backend: str, result: dict[str, Any], modes: list[str], size: str, write: bool) -> list[Goal]:
    """The 20-in-flight rates against ≥ 200/s; the first mode run is the row's figure, the others in its note."""
    found = []
    main, *others = modes
    for action in ("access", "erase"):
        rate = result["rates"][main][f"{action} custos"]
        bare_rate = result["rates"][main][f"{action} bare"]
        note = "; ".join(f"{mode}: {result['rates'][mode][f'{action} custos']:,.1f}/s" for mode in others) or None
        found.append(
            record_goal(
                HEADING,
                backend,
                WORKS[action],
                f"{rate:,.1f} {'accesses' if action == 'access' else 'erasures'}/s (bare {bare_rate:,.0f}/s)",
                None,
                rate >= RATE_GOAL,
                _processes(backend, main, result["peaks"][main][f"{action} custos"]),
                result["loads"][main],
                size=f"{size}, {main}",
                note=note,
                write=write,
            )
        )
    return found


def report(
    results: dict[str, dict[str, Any]],
    customers: int,
    people: int,
    flight: int,
    modes: list[str],
    pg_version: str,
    found: list[Goal],
    console: Console,
) -> str:
    rows = []
    for backend, result in results.items():
        times, rates, peaks = result["times"], result["rates"], result["peaks"]
        for action in ("access", "erase"):
            mine, theirs = times[f"{action} custos"], times[f"{action} bare"]
            p50, p99 = statistics.median(mine), percentile(mine, 0.99)
            b50, b99 = statistics.median(theirs), percentile(theirs, 0.99)
            row = [backend, action, f"{p50:.1f}", f"{p99:.1f}", f"{b50:.1f}", f"{b99:.1f}", f"{p50 / b50:.1f}×"]
            for mode in modes:
                row += [
                    f"{rates[mode][f'{action} custos']:.1f}",
                    f"{rates[mode][f'{action} bare']:.1f}",
                    f"{peaks[mode][f'{action} custos']} / {peaks[mode][f'{action} bare']}",
                ]
            row.append(f"p50 ≤ {P50_GOALS[action]} ms; ≥ {RATE_GOAL:.0f}/s in flight")
            rows.append(row)
    headings = [
        "backend",
        "action",
        "custos p50 ms",
        "custos p99 ms",
        "bare p50 ms",
        "bare p99 ms",
        "custos ÷ bare (p50)",
    ]
    for mode in modes:
        headings += [
            f"custos req/s ({IN_FLIGHT} {mode})",
            f"bare req/s ({IN_FLIGHT} {mode})",
            f"PG backends ({mode}, custos / bare)",
        ]
    headings.append("goal")
    # The console gets the figures without the backend counts and the goal (in the goal lines below).
    shown = [i for i, heading in enumerate(headings) if not heading.startswith(("PG backends", "goal", "custos p99"))]
    table = Table(title=f"requests across the register and a shop of {customers:,} customers")
    for index in shown:
        table.add_column(headings[index].replace("custos ", "").replace(f" ({IN_FLIGHT} ", "\n("))
    for row in rows:
        table.add_row(*(row[index] for index in shown))
    console.print(table)
    for goal in found:
        console.print(goal_line(goal))
    loads = "; ".join(
        f"{backend} {what} {load}" for backend, result in results.items() for what, load in result["loads"].items()
    )
    lines = [
        f"`python benchmarks/bench_requests.py --customers {customers} --people {people} --flight {flight} "
        f"--clients {','.join(modes)}`: the connected shop on PostgreSQL {pg_version} ({customers:,} customers, an "
        "address each, 3 orders with 2 lines each, a ticket for every second customer by email); Custos's own "
        f"database on {' and on '.join(results)} (a fresh one per run). Access: verified request → ZIP written "
        "(register + shop export + Art. 15 information; "
        f"{next(iter(results.values()))['package_bytes']:,} bytes for a typical person). Erasure: verified request "
        "→ shop rows deleted by the mapping, register person erased with tombstone and audit events, request "
        f"completed with the answer letter written. p50/p99 over {people} people one at a time. In flight: "
        f"{flight} requests of each kind with {IN_FLIGHT} clients at once, each client submitting and driving "
        "its requests to the end through the same service calls; threads: in the benchmark's process, sharing "
        "one runtime; processes: spawned, each with its own runtime and pools (as separate server workers), "
        "warmed up before the clock starts. Bare: the hand-written SQL for the same person (5 statements on the "
        "shop, the register rows), a ZIP of JSON for access, at the same concurrency. PG backends: the most "
        "PostgreSQL server processes connected to the shop and Custos at once during that flight (pg_stat_activity). "
        f"Load average (1 min), start → end: {loads}.",
        "",
        "| " + " | ".join(headings) + " |",
        "|---|---|" + "---:|" * (len(headings) - 3) + "---|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += [
        "",
        "Against issue 16's goal (≥ 200 requests/s with 20 in flight):",
        "",
        *(goal_line(goal) for goal in found),
        "",
        "Fides on the same data shape (measured for the issue, POST to complete, verification off): about 650 ms "
        "per access and 1,200 ms per erasure.",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in machine(pg_version).items()) + ".",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000, help="customers in the connected shop")
    parser.add_argument("--people", type=int, default=100, help="people measured one at a time (each action)")
    parser.add_argument("--flight", type=int, default=200, help=f"requests of each kind with {IN_FLIGHT} in flight")
    parser.add_argument(
        "--clients", default="threads,processes", help="processes, threads or both (the first is the goal's figure)"
    )
    parser.add_argument(
        "--backends", default="sqlite,postgresql", help="Custos's own database: sqlite, postgresql or both"
    )
    parser.add_argument("--no-results", action="store_true", help="do not rewrite benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    modes = [m for m in args.clients.split(",") if m]
    backends = [b for b in args.backends.split(",") if b]
    if not modes or set(modes) - {"threads", "processes"} or not backends or set(backends) - {"sqlite", "postgresql"}:
        parser.error("--clients takes threads and/or processes, --backends sqlite and/or postgresql")
    console = Console()
    server = find_postgres(console, Postgres)
    if server is None:
        console.print("this benchmark needs PostgreSQL (the connected shop); nothing measured")
        return
    results: dict[str, dict[str, Any]] = {}
    try:
        shop_url = build(server, args.customers, console)
        pg_version = server.version()
        for backend in backends:
            results[backend] = measure(
                backend, server, shop_url, args.customers, args.people, args.flight, modes, console
            )
    finally:
        server.admin.dispose()
    size = f"{args.flight} of each, shop of {args.customers:,}"
    found = [g for backend, r in results.items() for g in goals(backend, r, modes, size, not args.no_results)]
    body = report(results, args.customers, args.people, args.flight, modes, pg_version, found, console)
    if not args.no_results:
        write_section(HEADING, body)
        console.print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
