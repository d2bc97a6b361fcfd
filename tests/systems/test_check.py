"""`check` compares a mapping with the live schema and the policy, and names the line of every mismatch."""

from __future__ import annotations

from pathlib import Path

from example_systems import EXAMPLE_MAPPING
from sqlalchemy import Engine, text

from custos.policy import load_policy
from custos.systems.check import check_mapping
from custos.systems.mapping import parse_located

POLICY = load_policy(Path(__file__).resolve().parents[2] / "examples" / "elastx" / "policy.yaml")


def line_of(needle: str, source: str = EXAMPLE_MAPPING) -> int:
    return next(index for index, line in enumerate(source.splitlines(), 1) if needle in line)


def test_the_example_mapping_matches_its_schema(system: Engine) -> None:
    findings = check_mapping(system, parse_located(EXAMPLE_MAPPING, "crm.yaml"), POLICY)
    assert [f for f in findings if f.severity == "error"] == []


def test_a_dropped_column_is_reported_with_its_line(system: Engine) -> None:
    with system.begin() as connection:
        connection.execute(text("ALTER TABLE tickets DROP COLUMN body"))

    findings = check_mapping(system, parse_located(EXAMPLE_MAPPING, "crm.yaml"))

    errors = [f.problem for f in findings if f.severity == "error"]
    assert len(errors) == 1
    assert errors[0].location == "tables.tickets.columns.body"
    assert errors[0].line == line_of("      body: contact.name")
    assert "tickets.body does not exist" in errors[0].message


def test_missing_table_rule_categories_and_not_null_anonymisation(system: Engine) -> None:
    source = """\
system: crm
tables:
  customer:
    columns: {email: contact.email}
  tickets:
    identity: {requester_email: email}
    columns: {subject: contact.subjekt}
  invoices:
    references: {customer_id: customers.id}
    erase:
      anonymise: [amount]
  customers:
    erase: delete
"""
    findings = check_mapping(system, parse_located(source, "m.yaml"), POLICY)
    by_place = {f.problem.location: f for f in findings}

    assert by_place["tables.customer"].severity == "error"
    assert "did you mean 'customers'" in (by_place["tables.customer"].problem.hint or "")
    assert by_place["tables.tickets.erase"].problem.line == 5  # identity but no erasure rule
    assert by_place["tables.tickets.columns.subject"].problem.line == 7  # not a category of the policy
    assert by_place["tables.invoices.erase.anonymise.amount"].severity == "error"  # NOT NULL
    # Anonymised invoices would still point at the customer: the next erasure would find them again.
    assert by_place["tables.invoices.erase.anonymise"].severity == "warning"
    # contacts and addresses have foreign keys to customers, but they are not mapped: nothing to warn about.
    assert all(f.severity in ("error", "warning") for f in findings)


def test_an_undeclared_foreign_key_is_a_warning(system: Engine) -> None:
    source = EXAMPLE_MAPPING.replace("    references:\n      customer_id: customers.id\n    columns:\n      street",
                                     "    columns:\n      street")  # fmt: skip
    findings = check_mapping(system, parse_located(source, "m.yaml"))
    warnings = [f.problem for f in findings if f.severity == "warning"]
    assert any("addresses.customer_id → customers.id" in p.message for p in warnings)


def test_reference_columns_of_different_types_are_a_warning(system: Engine) -> None:
    with system.begin() as connection:
        connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, customer_ref VARCHAR(20), body TEXT)"))
    source = EXAMPLE_MAPPING + "  notes:\n    references: {customer_ref: customers.id}\n    erase: delete\n"
    findings = check_mapping(system, parse_located(source, "m.yaml"))
    (mismatch,) = [f for f in findings if f.problem.location == "tables.notes.references.customer_ref"]
    assert mismatch.severity == "warning"
    assert mismatch.problem.line == line_of("customer_ref: customers.id", source)
