"""Data subject requests end to end: a verified access request to a written package, and a verified erasure
request to completed, across the register and a connected PostgreSQL system, against hand-written SQL.

The connected system is `bench_systems.py`'s shop of N customers (default 1,000,000: customers, addresses,
orders, order lines, tickets matched by email; built once and kept). Custos runs on PostgreSQL too, in a fresh
database per run, with the example policy connecting the shop; the people measured are in its register
(encrypted, blind-indexed), as in a real installation.

- custos access: the request taken in (`cases.create`, identity taken as confirmed: verification switched off,
  as in the Fides figure the issue compares with), then `drive_request`: tasks planned, the register part and
  the shop's export staged, the ZIP written (JSON + CSV per table, the HTML summary, the Art. 15 information).
- bare access: the floor — five hand-written SELECTs on the shop and one on the register, the rows dumped as
  JSON into a ZIP.
- custos erasure: the same intake, `drive_request` (the shop's rows deleted by the mapping's rules, then the
  register's person with a tombstone and the audit events), then `complete` (the answer letter written to the
  file outbox).
- bare erasure: five hand-written DELETEs on the shop and the register person's rows, one transaction each.

p50/p99 over P people (default 100) one at a time, then throughput with 20 requests in flight (a thread pool).
The erased shop rows are put back afterwards. Writes the "Data subject requests" section of RESULTS.md.

    python benchmarks/bench_requests.py [--customers N] [--people 100] [--no-results]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import statistics
import tempfile
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, create_engine, text

from bench_systems import BARE_ERASE, BARE_EXPORT, MAPPING, Postgres, bare, build, email, restore
from common import find_postgres, machine, percentile, timed
from custos.actor import Actor
from custos.clock import FixedClock
from custos.register.people import add_person
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.requests import answers, cases
from custos.requests.driver import drive_request
from custos.requests.schemas import RequestCreate
from custos.runtime import Runtime, open_runtime
from custos.settings import load_settings
from custos.setup import initialise
from results import RESULTS, write_section

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


def open_custos(server: Postgres, shop_url: str, directory: Path) -> Runtime:
    name = "custos_bench_requests"
    server.create(name)
    settings = load_settings(
        {},
        None,
        overrides={
            "database_url": server.database(name),
            "key_file": str(directory / "custos.key"),
            "policy_path": str(_policy(directory)),
            "packages_dir": str(directory / "packages"),
            "outbox_dir": str(directory / "outbox"),
        },
    )
    clock = FixedClock(datetime(2026, 11, 29, 10, 0, tzinfo=UTC))
    initialise(settings, clock)
    return open_runtime(replace(settings), clock, environ={"CUSTOS_SYSTEM_SHOP_URL": shop_url})


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


def throughput(action: Callable[[int], Any], customers: list[int]) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
        list(pool.map(action, customers))
    return len(customers) / (time.perf_counter() - started)


def measure(server: Postgres, shop_url: str, customers: int, people: int, console: Console) -> dict[str, Any]:
    rng = random.Random(20261130)
    groups = rng.sample(range(1, customers + 1), min(customers, 6 * people + 10))
    warm = groups[:10]
    access = groups[10 : 10 + people]
    erase_custos = groups[10 + people : 10 + 2 * people]
    erase_bare = groups[10 + 2 * people : 10 + 3 * people]
    flight_access = groups[10 + 3 * people : 10 + 4 * people]
    flight_custos = groups[10 + 4 * people : 10 + 5 * people]
    flight_bare = groups[10 + 5 * people : 10 + 6 * people]
    times: dict[str, list[float]] = {k: [] for k in ("access custos", "access bare", "erase custos", "erase bare")}
    rates: dict[str, float] = {}
    erased = erase_custos + erase_bare + flight_custos + flight_bare
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        runtime = open_custos(server, shop_url, folder)
        shop = create_engine(shop_url, pool_size=IN_FLIGHT, max_overflow=5)
        try:
            console.print("registering the people measured…")
            register(runtime, groups)
            person_ids = _person_ids(runtime)
            for customer in warm:
                custos_access(runtime, customer)
                bare_access(shop, runtime.db.engine, customer, person_ids[customer], folder)
            console.print(f"access and erasure, {people} people each, one at a time…")
            for customer in access:
                times["access custos"].append(timed(lambda c=customer: custos_access(runtime, c)))  # type: ignore[misc]
                times["access bare"].append(
                    timed(lambda c=customer: bare_access(shop, runtime.db.engine, c, person_ids[c], folder))
                )  # type: ignore[misc]
            for mine, theirs in zip(erase_custos, erase_bare, strict=True):
                times["erase custos"].append(timed(lambda c=mine: custos_erasure(runtime, c)))  # type: ignore[misc]
                times["erase bare"].append(timed(lambda c=theirs: bare_erasure(shop, runtime.db.engine, c, person_ids)))  # type: ignore[misc]
            console.print(f"throughput with {IN_FLIGHT} in flight…")
            rates["access custos"] = throughput(lambda c: custos_access(runtime, c), flight_access)
            rates["access bare"] = throughput(
                lambda c: bare_access(shop, runtime.db.engine, c, person_ids[c], folder), flight_access
            )
            rates["erase custos"] = throughput(lambda c: custos_erasure(runtime, c), flight_custos)
            rates["erase bare"] = throughput(
                lambda c: bare_erasure(shop, runtime.db.engine, c, person_ids), flight_bare
            )
            package = next((folder / "packages").glob("*.zip"))
            size = package.stat().st_size
        finally:
            console.print("putting the erased people back in the shop…")
            restore(shop, erased)
            shop.dispose()
            runtime.close()
            with server.admin.connect() as connection:
                connection.execute(text('DROP DATABASE IF EXISTS "custos_bench_requests" WITH (FORCE)'))
    return {"times": times, "rates": rates, "package_bytes": size, "load": load}


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


def report(result: dict[str, Any], customers: int, people: int, pg_version: str, console: Console) -> str:
    times, rates = result["times"], result["rates"]
    rows = []
    for action, goal in (("access", 60), ("erase", 120)):
        mine, theirs = times[f"{action} custos"], times[f"{action} bare"]
        p50, p99 = statistics.median(mine), percentile(mine, 0.99)
        b50, b99 = statistics.median(theirs), percentile(theirs, 0.99)
        rows.append(
            (
                action,
                f"{p50:.1f}",
                f"{p99:.1f}",
                f"{b50:.1f}",
                f"{b99:.1f}",
                f"{p50 / b50:.1f}×",
                f"{rates[f'{action} custos']:.1f}",
                f"{rates[f'{action} bare']:.1f}",
                f"p50 ≤ {goal} ms",
            )
        )
    table = Table(title=f"requests across the register and a shop of {customers:,} customers, {people} people")
    headings = (
        "action",
        "custos p50 ms",
        "p99 ms",
        "bare p50 ms",
        "bare p99 ms",
        "ratio p50",
        "custos/s (20)",
        "bare/s (20)",
        "goal",
    )
    for heading in headings:
        table.add_column(heading)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    lines = [
        f"`python benchmarks/bench_requests.py --customers {customers} --people {people}`: PostgreSQL {pg_version} "
        f"for both Custos and the connected shop ({customers:,} customers, an address each, 3 orders with 2 lines "
        "each, a ticket for every second customer by email). Access: verified request → ZIP written (register + "
        f"shop export + Art. 15 information; {result['package_bytes']:,} bytes for a typical person). Erasure: "
        "verified request → shop rows deleted by the mapping, register person erased with tombstone and audit "
        "events, request completed with the answer letter written. p50/p99 over "
        f"{people} people one at a time; throughput with {IN_FLIGHT} requests in flight (threads). Bare: the "
        "hand-written SQL for the same person (5 statements on the shop, the register rows), a ZIP of JSON for access. "
        f"Load average (1 min) when measuring began: {result['load']:.1f}.",
        "",
        "| action | custos p50 ms | custos p99 ms | bare p50 ms | bare p99 ms | custos ÷ bare (p50) "
        "| custos req/s (20 in flight) | bare req/s (20 in flight) | goal |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += [
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
    parser.add_argument("--people", type=int, default=100, help="people measured (each action)")
    parser.add_argument("--no-results", action="store_true", help="do not rewrite benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    console = Console()
    server = find_postgres(console, Postgres)
    if server is None:
        console.print("this benchmark needs PostgreSQL; nothing measured")
        return
    try:
        shop_url = build(server, args.customers, console)
        pg_version = server.version()
        result = measure(server, shop_url, args.customers, args.people, console)
    finally:
        server.admin.dispose()
    body = report(result, args.customers, args.people, pg_version, console)
    if not args.no_results:
        write_section(HEADING, body)
        console.print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
