"""A small SQLite "customer system" for the inventory, runs, retention and web tests, and a policy connecting it.

The CRM: customers (matched by email and phone), their orders (amounts kept for bookkeeping: the customer
link is anonymised) and order lines, and support tickets matched by email only. The example policy's systems
become: `crm` (sql, this database), `mailer` (manual), `finance` (http, when a base URL is given), the rest
manual; every system that gets tasks is owned by owner@example.se (`custos policy check` asks for an owner).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text

from custos.clock import Clock
from custos.runtime import Runtime, open_runtime
from custos.settings import Settings

OWNER = "owner@example.se"

MAPPING = """\
system: crm
tables:
  customers:
    identity:
      email: email
      phone: phone
    columns:
      id: none
      email: contact.email
      name: contact.name
      phone: contact.phone
    rectify:
      name: name
    erase: delete
  orders:
    references:
      customer_id: customers.id
    columns:
      amount: finance.invoice
      ordered_on: none
      customer_id: none
    erase:
      anonymise: [customer_id]
  order_lines:
    references:
      order_id: orders.id
    columns:
      item: finance.invoice
    erase: keep
  tickets:
    identity:
      requester: email
    columns:
      body: contact.name
    erase: delete
"""

_SCHEMA = [
    "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT, name TEXT NOT NULL, phone TEXT)",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), "
    "amount NUMERIC NOT NULL, ordered_on DATE NOT NULL)",
    "CREATE TABLE order_lines (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders(id), item TEXT)",
    "CREATE TABLE tickets (id INTEGER PRIMARY KEY, requester TEXT, body TEXT)",
]
_ROWS = [
    "INSERT INTO customers VALUES (1, 'anna@example.se', 'Anna Andersson', '+46701234567')",
    "INSERT INTO customers VALUES (2, 'bo@example.se', 'Bo Berg', NULL)",
    "INSERT INTO orders VALUES (10, 1, 1200.50, '2020-03-01')",
    "INSERT INTO orders VALUES (11, 1, 99.00, '2021-05-01')",
    "INSERT INTO orders VALUES (12, 2, 10.00, '2021-05-02')",
    "INSERT INTO order_lines VALUES (100, 10, 'Compute')",
    "INSERT INTO order_lines VALUES (101, 11, 'Storage')",
    "INSERT INTO tickets VALUES (1, 'anna@example.se', 'Cannot log in')",
    "INSERT INTO tickets VALUES (2, 'bo@example.se', 'Hello')",
]


def build_customer_system(path: Path) -> str:
    """Create the CRM in a SQLite file; returns its URL."""
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    with engine.begin() as connection:
        for statement in _SCHEMA + _ROWS:
            connection.execute(text(statement))
    engine.dispose()
    return url


def rows(url: str, query: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query))]
    finally:
        engine.dispose()


def systems_section(http_base: str | None = None) -> str:
    finance = (
        "  - id: finance\n    name: Finance and payroll\n    environment: production\n    kind: http\n"
        f"    owner: {OWNER}\n    categories: [finance.invoice, contact.name]\n    http:\n"
        "      auth: {header: Authorization, scheme: Bearer, env: FINANCE_TOKEN}\n"
        f"      export: {{url: '{http_base}/people?email={{email}}'}}\n"
        f"      delete: {{method: DELETE, url: '{http_base}/people/{{email}}'}}\n"
        if http_base
        else f"  - id: finance\n    name: Finance and payroll\n    environment: production\n    owner: {OWNER}\n"
    )
    return (
        "systems:\n"
        "  - id: crm\n    name: CRM\n    environment: production\n    kind: sql\n    mapping: crm-mapping.yaml\n"
        "  - id: mailer\n    name: Mailing tool\n    environment: production\n"
        f"    owner: {OWNER}\n    categories: [contact.email, contact.name]\n"
        f"{finance}"
        f"  - id: website\n    name: Elastx website\n    environment: production\n    owner: {OWNER}\n"
        f"  - id: analytics\n    name: Piwik PRO\n    environment: production\n    owner: {OWNER}\n"
        "\n"
    )


def connected_policy(settings: Settings, directory: Path, http_base: str | None = None) -> Path:
    """The example policy with connected systems, and the CRM's mapping beside it."""
    original = Path(settings.policy_path).read_text(encoding="utf-8")
    policy = re.sub(r"(?ms)^systems:\n.*?(?=^processor:)", lambda _m: systems_section(http_base), original)
    assert policy != original
    path = directory / "policy.yaml"
    path.write_text(policy, encoding="utf-8")
    (directory / "crm-mapping.yaml").write_text(MAPPING, encoding="utf-8")
    return path


def connected_runtime(
    settings: Settings,
    clock: Clock,
    directory: Path,
    *,
    http_base: str | None = None,
    env: dict[str, str] | None = None,
) -> tuple[Runtime, str]:
    """A runtime on the same (initialised) database whose policy connects the CRM; returns it and the CRM's URL."""
    url = build_customer_system(directory / "crm.db")
    policy = connected_policy(settings, directory, http_base)
    runtime = open_runtime(
        replace(settings, policy_path=policy), clock, environ={"CUSTOS_SYSTEM_CRM_URL": url, **(env or {})}
    )
    return runtime, url


TODAY = date(2026, 11, 29)
