"""Finding, exporting and erasing one person in a connected PostgreSQL system, against hand-written SQL.

A customer system of N customers (default 1,000,000) is built once in PostgreSQL with generate_series and kept
between runs (database `custos_bench_systems_<N>`): customers (email, name, phone), one address each, 3 orders
each with 2 lines per order (foreign keys, indexed), and a ticket for every second customer matched by email
only (no foreign key). Then, over 100 random people (after a warm-up), interleaved on the same connection pool:
- custos export: `export_subject` with the system's dataset mapping — the walk from the email down the
  references, one statement per table, rows made JSON-ready;
- bare export: the floor — five hand-written SELECTs for the same person (joins/subqueries on the email), one
  transaction, rows fetched as tuples;
- custos erasure: `erase_subject` — the walk with the rows locked, then DELETEs children before parents, one
  transaction;
- bare erasure: five hand-written DELETEs (subqueries on the email), children first, one transaction.
Erasures use two disjoint sets of people; their rows are put back afterwards with the same generating SQL, so
the next run finds the same data. Prints p50/p99 and writes the "Connected systems" section of RESULTS.md.

    python benchmarks/bench_systems.py [--customers N] [--people 100] [--no-results]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from common import find_postgres, machine, percentile, timed
from custos.systems.connect import SystemEngines
from custos.systems.erase import erase_subject
from custos.systems.export import export_subject
from custos.systems.keys import SubjectKeys
from custos.systems.mapping import DatasetMapping, parse_mapping
from results import RESULTS, write_section

HEADING = "## Connected systems: find, export and erase one person"
TODAY = date(2026, 11, 29)

MAPPING = """\
system: shop
tables:
  customers:
    identity: {email: email, phone: phone}
    columns: {id: none, email: contact.email, name: contact.name, phone: contact.phone, created_at: none}
    erase: delete
  addresses:
    references: {customer_id: customers.id}
    columns: {street: contact.address, city: contact.address}
    erase: delete
  orders:
    references: {customer_id: customers.id}
    columns: {id: none, order_date: none, total: finance.order}
    erase: delete
  order_lines:
    references: {order_id: orders.id}
    columns: {product: none, amount: finance.order}
    erase: delete
  tickets:
    identity: {requester_email: email}
    columns: {subject: none, body: support.ticket}
    erase: delete
"""

SCHEMA = """
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, name text NOT NULL, phone text,
                        created_at timestamptz NOT NULL);
CREATE TABLE addresses (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers(id),
                        street text, city text);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers(id),
                     order_date date NOT NULL, total numeric(12,2) NOT NULL);
CREATE TABLE order_lines (id bigint PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders(id),
                          product text, amount numeric(12,2) NOT NULL);
CREATE TABLE tickets (id bigint PRIMARY KEY, requester_email text NOT NULL, subject text, body text);
CREATE TABLE bench_meta (customers bigint NOT NULL);
"""

# Each generates the rows of the customers in `{ids}` (a set-returning expression of customer ids, `c`).
FILL = {
    "customers": "INSERT INTO customers SELECT c, 'customer' || c || '@example.com', 'Customer ' || c, "
    "'+4670' || lpad(c::text, 7, '0'), timestamptz '2020-01-01' + c * interval '1 minute' FROM {ids} AS c",
    "addresses": "INSERT INTO addresses SELECT c, c, 'Street ' || c, 'City ' || mod(c, 300) FROM {ids} AS c",
    "orders": "INSERT INTO orders SELECT (c - 1) * 3 + k, c, date '2019-01-01' + mod(c * k, 2500)::int, "
    "mod(c * k, 1000) + 0.5 FROM {ids} AS c, generate_series(1, 3) AS k",
    "order_lines": "INSERT INTO order_lines SELECT ((c - 1) * 3 + k - 1) * 2 + j, (c - 1) * 3 + k, "
    "'product ' || j, 10.25 * j FROM {ids} AS c, generate_series(1, 3) AS k, generate_series(1, 2) AS j",
    "tickets": "INSERT INTO tickets SELECT c / 2, 'customer' || c || '@example.com', 'Question', "
    "'About my order' FROM {ids} AS c WHERE mod(c, 2) = 0",
}
INDEXES = [
    "CREATE INDEX ON customers (email)",
    "CREATE INDEX ON customers (phone)",
    "CREATE INDEX ON addresses (customer_id)",
    "CREATE INDEX ON orders (customer_id)",
    "CREATE INDEX ON order_lines (order_id)",
    "CREATE INDEX ON tickets (requester_email)",
]

BARE_EXPORT = [
    "SELECT id, email, name, phone, created_at FROM customers WHERE email = %(e)s",
    "SELECT a.street, a.city FROM addresses a JOIN customers c ON c.id = a.customer_id WHERE c.email = %(e)s",
    "SELECT o.id, o.order_date, o.total FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.email = %(e)s",
    "SELECT l.product, l.amount FROM order_lines l JOIN orders o ON o.id = l.order_id "
    "JOIN customers c ON c.id = o.customer_id WHERE c.email = %(e)s",
    "SELECT subject, body FROM tickets WHERE requester_email = %(e)s",
]
BARE_ERASE = [
    "DELETE FROM order_lines WHERE order_id IN (SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id "
    "WHERE c.email = %(e)s)",
    "DELETE FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE email = %(e)s)",
    "DELETE FROM addresses WHERE customer_id IN (SELECT id FROM customers WHERE email = %(e)s)",
    "DELETE FROM tickets WHERE requester_email = %(e)s",
    "DELETE FROM customers WHERE email = %(e)s",
]


class Postgres:
    def __init__(self, url: str) -> None:
        self.url = url
        self.admin = create_engine(url, isolation_level="AUTOCOMMIT")

    def version(self) -> str:
        with self.admin.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar())

    def database(self, name: str) -> str:
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def exists(self, name: str) -> bool:
        with self.admin.connect() as connection:
            found = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        return found is not None

    def create(self, name: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))


def build(server: Postgres, customers: int, console: Console) -> str:
    """The system of `customers` customers, built unless a complete one of that size exists."""
    name = f"custos_bench_systems_{customers}"
    url = server.database(name)
    if server.exists(name):
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                size = connection.execute(text("SELECT customers FROM bench_meta")).scalar()
        except Exception:
            size = None
        finally:
            engine.dispose()
        if size == customers:
            console.print(f"using the existing system {name}")
            return url
    console.print(f"building {name} (once; kept for later runs)…")
    server.create(name)
    engine = create_engine(url)
    step = 200_000
    with engine.connect() as connection:
        connection.execute(text("SET synchronous_commit = off"))
        connection.exec_driver_sql(SCHEMA)
        connection.commit()
        for table, sql in FILL.items():
            started = time.perf_counter()
            for low in range(1, customers + 1, step):
                high = min(low + step - 1, customers)
                connection.exec_driver_sql(sql.format(ids=f"generate_series({low}, {high})"))
                connection.commit()
                console.print(f"  {table}: customers up to {high:,}", end="\r")
            console.print(f"  {table}: {time.perf_counter() - started:.1f} s" + " " * 20)
        for statement in INDEXES:
            started = time.perf_counter()
            connection.exec_driver_sql(statement)
            connection.commit()
            console.print(f"  {statement}: {time.perf_counter() - started:.1f} s")
        connection.exec_driver_sql("ANALYZE")
        connection.execute(text("INSERT INTO bench_meta VALUES (:n)"), {"n": customers})
        connection.commit()
    engine.dispose()
    return url


def restore(engine: Engine, ids: list[int]) -> None:
    """Put the erased customers' rows back, exactly as they were generated."""
    with engine.begin() as connection:
        for sql in FILL.values():
            # Idempotent, so an interrupted run is healed by the next one.
            statement = sql.format(ids="unnest(%(ids)s::bigint[])") + " ON CONFLICT DO NOTHING"
            connection.exec_driver_sql(statement, {"ids": ids})


def email(customer: int) -> str:
    return f"customer{customer}@example.com"


def bare(engine: Engine, statements: list[str], address: str) -> None:
    with engine.connect() as connection:
        dbapi = connection.connection  # the driver's own connection: commit there, or the pool rolls back
        cursor = dbapi.cursor()
        for sql in statements:
            cursor.execute(sql, {"e": address})
            if cursor.description is not None:
                cursor.fetchall()
        cursor.close()
        dbapi.commit()


def statements_per(engine: Engine, action: Callable[[], Any]) -> int:
    count = 0

    def counter(*_args: Any) -> None:
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", counter)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return count


def measure(url: str, customers: int, people: int, console: Console) -> dict[str, Any]:
    mapping: DatasetMapping = parse_mapping(MAPPING, "bench")
    rng = random.Random(20261129)
    chosen = rng.sample(range(1, customers + 1), min(customers, 3 * people + 40))
    warm, readers = chosen[:20], chosen[20 : 20 + people]
    erase_custos = chosen[20 + people : 20 + 2 * people]
    erase_bare = chosen[20 + 2 * people : 20 + 3 * people]
    times: dict[str, list[float]] = {"export custos": [], "export bare": [], "erase custos": [], "erase bare": []}
    load = os.getloadavg()[0]
    with SystemEngines() as engines:
        engine = engines.engine(url)
        for customer in warm:
            keys = SubjectKeys(emails=(email(customer),))
            export_subject(engine, mapping, keys)
            bare(engine, BARE_EXPORT, email(customer))
        sample = SubjectKeys(emails=(email(readers[0]),))
        found = sum(len(t.rows) for t in export_subject(engine, mapping, sample))
        export_statements = statements_per(engine, lambda: export_subject(engine, mapping, sample))
        for customer in readers:
            keys = SubjectKeys(emails=(email(customer),))
            times["export custos"].append(timed(lambda k=keys: export_subject(engine, mapping, k)))  # type: ignore[misc]
            times["export bare"].append(timed(lambda c=customer: bare(engine, BARE_EXPORT, email(c))))  # type: ignore[misc]
        erase_statements = 0
        try:
            for index, (mine, theirs) in enumerate(zip(erase_custos, erase_bare, strict=True)):
                keys = SubjectKeys(emails=(email(mine),))
                if index == 0:
                    erase_statements = statements_per(
                        engine, lambda k=keys: erase_subject(engine, mapping, k, today=TODAY)
                    )  # type: ignore[misc]
                    restore(engine, [mine])
                times["erase custos"].append(timed(lambda k=keys: erase_subject(engine, mapping, k, today=TODAY)))  # type: ignore[misc]
                times["erase bare"].append(timed(lambda c=theirs: bare(engine, BARE_ERASE, email(c))))  # type: ignore[misc]
        finally:
            console.print("putting the erased people back…")
            restore(engine, erase_custos + erase_bare)
    return {"times": times, "rows": found, "export_statements": export_statements,
            "erase_statements": erase_statements, "load": load}  # fmt: skip


def report(result: dict[str, Any], customers: int, people: int, pg_version: str, console: Console) -> str:
    times = result["times"]
    rows = []
    for action, goal in (("export", 20), ("erase", 40)):
        mine, theirs = times[f"{action} custos"], times[f"{action} bare"]
        p50, p99 = statistics.median(mine), percentile(mine, 0.99)
        b50, b99 = statistics.median(theirs), percentile(theirs, 0.99)
        statements = result[f"{action}_statements"]
        rows.append((action, f"{p50:.2f}", f"{p99:.2f}", f"{b50:.2f}", f"{b99:.2f}", f"{p50 / b50:.2f}×",
                     f"< {goal} ms, ≤ 3×", str(statements)))  # fmt: skip
    table = Table(title=f"one person in a system of {customers:,} customers, {people} people")
    for heading in ("action", "custos p50 ms", "p99 ms", "bare p50 ms", "bare p99 ms", "ratio p50", "goal", "SQL"):
        table.add_column(heading)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    lines = [
        f"`python benchmarks/bench_systems.py --customers {customers} --people {people}`: PostgreSQL {pg_version}, "
        f"a shop system of {customers:,} customers (3 orders each, 2 lines per order, an address each, a ticket "
        f"for every second customer by email only); {result['rows']} rows for a typical person. p50/p99 over "
        f"{people} random people, custos and the hand-written SQL interleaved on one connection pool. "
        "SQL statements: what custos sends for that person (the bare SQL sends 5). Load average (1 min) when "
        f"measuring began: {result['load']:.1f}.",
        "",
        "| action | custos p50 ms | custos p99 ms | bare p50 ms | bare p99 ms | custos ÷ bare (p50) | goal | SQL |",
        "|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += ["", "Machine: " + ", ".join(f"{k} {v}" for k, v in machine(pg_version).items()) + "."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000, help="customers in the system")
    parser.add_argument("--people", type=int, default=100, help="people measured (each action)")
    parser.add_argument("--no-results", action="store_true", help="do not rewrite benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    console = Console()
    server = find_postgres(console, Postgres)
    if server is None:
        console.print("this benchmark needs PostgreSQL; nothing measured")
        return
    try:
        url = build(server, args.customers, console)
        pg_version = server.version()
        result = measure(url, args.customers, args.people, console)
    finally:
        server.admin.dispose()
    body = report(result, args.customers, args.people, pg_version, console)
    if not args.no_results:
        write_section(HEADING, body)
        console.print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
