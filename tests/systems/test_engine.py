"""Finding, exporting and erasing a person in the example customer systems, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from example_systems import EXAMPLE_MAPPING, ROWS, TODAY
from sqlalchemy import Engine, text

from custos.errors import InvalidInput, SystemFailed
from custos.systems.erase import TableOutcome, erase_subject
from custos.systems.export import export_subject
from custos.systems.keys import SubjectKeys
from custos.systems.mapping import parse_mapping

MAPPING = parse_mapping(EXAMPLE_MAPPING, "example")
ANNA = SubjectKeys.of(emails=["Anna@Example.se"])
BO = SubjectKeys.of(emails=["bo@example.se"])


def rows(engine: Engine, table: str) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))]


def ids(engine: Engine, table: str) -> list[int]:
    return [row["id"] for row in rows(engine, table)]


def snapshot(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    return {table: rows(engine, table) for table in ROWS}


def test_export_finds_every_row_of_the_person_by_identity_and_references(system: Engine) -> None:
    exported = {item.table: item for item in export_subject(system, MAPPING, ANNA)}

    assert list(exported) == ["customers", "addresses", "contacts", "invoices", "invoice_lines", "tickets"]
    assert [row["full_name"] for row in exported["customers"].rows] == ["Anna Andersson"]
    assert sorted(row["city"] for row in exported["addresses"].rows) == ["Stockholm", "Visby"]
    # Her husband's contact row under her customer account (reference), and her own contact row at customer 3
    # (identity only): both are hers to see.
    assert sorted(row["namn"] for row in exported["contacts"].rows) == ["Anders Andersson", "Anna Andersson"]
    assert sorted(row["id"] for row in exported["invoices"].rows) == [1, 2]
    assert len(exported["invoice_lines"].rows) == 4
    assert sorted(row["subject"] for row in exported["tickets"].rows) == ["Invoice", "Login"]
    assert exported["customers"].categories["email"] == "contact.email"
    assert set(exported["tickets"].rows[0]) == {"subject", "body"}  # only mapped columns leave the system


def test_export_values_are_json_ready(system: Engine) -> None:
    invoices = next(item for item in export_subject(system, MAPPING, ANNA) if item.table == "invoices")
    first = min(invoices.rows, key=lambda row: row["id"])
    assert first["invoice_date"] == "2015-03-01"
    assert Decimal(str(first["amount"])) == Decimal("1200.00")


def test_export_of_an_unknown_person_is_empty(system: Engine) -> None:
    assert export_subject(system, MAPPING, SubjectKeys.of(emails=["nobody@example.se"])) == []
    assert export_subject(system, MAPPING, SubjectKeys()) == []


def test_export_by_phone(system: Engine) -> None:
    exported = export_subject(system, MAPPING, SubjectKeys.of(phones=["070-234 56 78"], phone_region="SE"))
    assert [row["full_name"] for row in exported[0].rows] == ["Bo Berg"]
    assert {item.table for item in exported} == {"customers", "addresses", "invoices", "invoice_lines"}


def test_erasure_deletes_anonymises_and_keeps_row_by_row(system: Engine) -> None:
    before = snapshot(system)

    outcome = erase_subject(system, MAPPING, ANNA, today=TODAY)

    assert outcome.tables["tickets"] == TableOutcome(deleted=2)
    assert outcome.tables["addresses"] == TableOutcome(deleted=2)
    assert outcome.tables["contacts"] == TableOutcome(deleted=2)
    assert ids(system, "tickets") == [3, 4]
    assert ids(system, "addresses") == [3, 4]
    assert ids(system, "contacts") == [3]
    invoices = {row["id"]: row for row in rows(system, "invoices")}
    # Invoice 1 (2015) is past Bokföringslagen's period: anonymised, its amount and date kept for the books.
    assert invoices[1]["billing_name"] is None
    assert invoices[1]["billing_email"] is None
    assert invoices[1]["customer_id"] is None
    assert Decimal(str(invoices[1]["amount"])) == Decimal("1200.00")
    assert str(invoices[1]["invoice_date"])[:10] == "2015-03-01"
    # Invoice 2 (2024) is kept through 2031, and so is the customer row it points at.
    assert invoices[2] == before["invoices"][1]
    assert outcome.tables["invoices"].anonymised == 1
    assert outcome.tables["invoices"].kept == 1
    assert str(outcome.tables["invoices"].kept_until) == "2031-12-31"
    assert "Bokföringslagen" in (outcome.tables["invoices"].reason or "")
    assert outcome.tables["customers"].kept == 1
    assert str(outcome.tables["customers"].kept_until) == "2031-12-31"
    assert outcome.tables["invoice_lines"].kept == 4
    assert rows(system, "invoice_lines") == before["invoice_lines"]
    assert outcome.changed == 2 + 2 + 2 + 1
    # Nobody else was touched.
    assert rows(system, "customers") == before["customers"]
    assert invoices[3] == before["invoices"][2]
    assert invoices[4] == before["invoices"][3]


def test_erasure_without_kept_rows_deletes_the_person_and_a_second_run_changes_nothing(system: Engine) -> None:
    first = erase_subject(system, MAPPING, BO, today=TODAY)
    after_first = snapshot(system)
    second = erase_subject(system, MAPPING, BO, today=TODAY)

    assert first.tables["customers"] == TableOutcome(deleted=1)
    assert first.tables["invoices"].anonymised == 1
    assert ids(system, "customers") == [1, 3]
    assert export_subject(system, MAPPING, BO) == []
    assert second.changed == 0
    assert second.tables == {}
    assert snapshot(system) == after_first


def test_second_erasure_of_a_person_with_kept_rows_changes_nothing(system: Engine) -> None:
    erase_subject(system, MAPPING, ANNA, today=TODAY)
    after_first = snapshot(system)

    second = erase_subject(system, MAPPING, ANNA, today=TODAY)

    assert second.changed == 0
    assert second.tables["customers"].kept == 1
    assert second.tables["invoices"].kept == 1
    assert snapshot(system) == after_first


def test_kept_rows_go_once_their_period_has_ended(system: Engine) -> None:
    erase_subject(system, MAPPING, ANNA, today=TODAY)

    later = erase_subject(system, MAPPING, ANNA, today=TODAY.replace(year=2032))

    assert later.tables["invoices"].anonymised == 1
    assert later.tables["customers"] == TableOutcome(deleted=1)
    assert ids(system, "customers") == [2, 3]


def test_erasure_killed_half_way_leaves_everything_as_it_was_and_a_rerun_completes(system: Engine) -> None:
    before = snapshot(system)

    def crash(table: str, _outcome: TableOutcome) -> None:
        if table == "addresses":  # tickets, lines, invoices and contacts are done by now
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        erase_subject(system, MAPPING, ANNA, today=TODAY, on_table=crash)

    assert snapshot(system) == before
    outcome = erase_subject(system, MAPPING, ANNA, today=TODAY)
    assert outcome.changed == 7
    assert ids(system, "tickets") == [3, 4]


def test_a_failing_statement_rolls_the_system_back_and_names_system_and_table(system: Engine) -> None:
    before = snapshot(system)
    # full_name is NOT NULL: the last table of the erasure fails after every child table was changed.
    broken = parse_mapping(
        EXAMPLE_MAPPING.replace(
            "    erase: delete\n  addresses:", "    erase:\n      anonymise: [full_name]\n  addresses:"
        ),
        "broken",
    )

    with pytest.raises(SystemFailed) as failed:
        erase_subject(system, broken, BO, today=TODAY)

    assert failed.value.system == "crm"
    assert failed.value.table == "customers"
    assert "customers" in failed.value.message
    assert snapshot(system) == before


def test_large_fan_out_is_read_in_chunks(system: Engine) -> None:
    with system.begin() as connection:
        connection.execute(
            text("INSERT INTO tickets (id, requester_email, subject, body) VALUES (:id, :email, 'bulk', 'x')"),
            [{"id": 100 + n, "email": "anna@example.se"} for n in range(2500)],
        )
    many = SubjectKeys.of(emails=["anna@example.se", *(f"other{n}@example.se" for n in range(1500))])

    tickets = next(item for item in export_subject(system, MAPPING, many) if item.table == "tickets")
    assert len(tickets.rows) == 2502
    assert erase_subject(system, MAPPING, many, today=TODAY).tables["tickets"].deleted == 2502


PREFERENCES_TABLE = (
    "CREATE TABLE preferences (customer_id INTEGER NOT NULL REFERENCES customers(id), "
    "channel VARCHAR(20) NOT NULL, note VARCHAR(100), PRIMARY KEY (customer_id, channel))"
)
PREFERENCES = (
    "  preferences:\n    key: [customer_id, channel]\n    references: {customer_id: customers.id}\n"
    "    columns: {channel: none, note: contact.name}\n    erase:\n      anonymise: {note: null}\n"
)


def notes(engine: Engine) -> list[str | None]:
    with engine.connect() as connection:
        return list(connection.execute(text("SELECT note FROM preferences ORDER BY customer_id, channel")).scalars())


def test_tables_with_a_composite_key(system: Engine) -> None:
    with system.begin() as connection:
        connection.execute(text(PREFERENCES_TABLE))
        connection.execute(
            text("INSERT INTO preferences VALUES (:c, :ch, :n)"),
            [
                {"c": 2, "ch": "sms", "n": "evenings"},
                {"c": 2, "ch": "mail", "n": "never"},
                {"c": 3, "ch": "sms", "n": "x"},
            ],
        )
    mapping = parse_mapping(EXAMPLE_MAPPING + PREFERENCES)
    # Anonymised, not deleted, so the customer row cannot go: the erasure fails whole on the foreign key.
    with pytest.raises(SystemFailed):
        erase_subject(system, mapping, BO, today=TODAY)
    assert notes(system) == ["never", "evenings", "x"]
    exported = {t.table: t for t in export_subject(system, mapping, BO)}
    assert sorted(row["channel"] for row in exported["preferences"].rows) == ["mail", "sms"]

    keep_customers = EXAMPLE_MAPPING.replace("    erase: delete\n  addresses:", "    erase: keep\n  addresses:")
    outcome = erase_subject(system, parse_mapping(keep_customers + PREFERENCES), BO, today=TODAY)

    assert outcome.tables["preferences"].anonymised == 2
    assert outcome.tables["customers"].kept == 1
    assert notes(system) == [None, None, "x"]


def test_identity_values_are_normalised_and_bad_ones_named() -> None:
    keys = SubjectKeys.of(emails=[" Anna@Example.SE ", "anna@example.se"], phones=["070-123 45 67"], phone_region="SE")
    assert keys.emails == ("anna@example.se",)
    assert keys.phones == ("+46701234567",)
    with pytest.raises(InvalidInput) as raised:
        SubjectKeys.of(emails=["anna.example.se"], phones=["12"], phone_region="SE")
    assert [problem.location for problem in raised.value.problems] == ["email", "phone"]
    assert "anna.example.se" in str(raised.value.problems[0])
