"""`scan` on the example systems proposes the identity columns, personal data, references and rules."""

from __future__ import annotations

from sqlalchemy import Engine

from custos.systems.mapping import parse_mapping
from custos.systems.scan import render_yaml, scan_system


def test_scan_proposes_identity_columns_references_and_rules(system: Engine) -> None:
    seen: list[str] = []
    result = scan_system(system, system="crm", on_table=seen.append)
    text = render_yaml(result, "the test system")
    mapping = parse_mapping(text, "proposal")  # the proposal is a loadable mapping as written

    assert sorted(seen) == ["addresses", "contacts", "customers", "invoice_lines", "invoices", "tickets"]
    tables = mapping.tables
    assert tables["customers"].identity == {"email": "email", "telefon": "phone"}
    assert tables["contacts"].identity == {"e_post": "email"}
    assert tables["tickets"].identity == {"requester_email": "email"}  # by name alone, no foreign key
    assert tables["customers"].columns["full_name"] == "contact.name"
    assert tables["customers"].columns["personnummer"] == "person.national_id"
    assert tables["addresses"].columns["street"] == "contact.address"
    assert tables["customers"].columns["created_at"] == "none"
    assert tables["orders" if "orders" in tables else "invoices"].references == {"customer_id": "customers.id"}
    assert tables["invoice_lines"].references == {"invoice_id": "invoices.id"}
    assert tables["addresses"].references == {"customer_id": "customers.id"}
    assert tables["customers"].key == ["id"]
    # Rules: plain child rows deleted; invoices (amounts, a date, a bookkeeping name) kept seven years, then
    # anonymised, with the reference to the customer cleared.
    assert tables["addresses"].erase is not None
    assert tables["addresses"].erase.kind == "delete"
    invoices = tables["invoices"].erase
    assert invoices is not None
    assert invoices.kind == "keep_until"
    assert invoices.from_ == "invoice_date"
    assert invoices.then is not None
    assert invoices.then.anonymise is not None
    assert "customer_id" in invoices.then.anonymise
    assert "billing_name" in invoices.then.anonymise
    # Every guess says so, with its reason.
    assert "email: email  # proposed: the column name 'email'" in text
    assert "# proposed: the column name 'personnummer'" in text


def test_values_are_recognised_where_names_say_nothing(system: Engine) -> None:
    with system.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE leads (id INTEGER PRIMARY KEY, x1 VARCHAR(100), x2 VARCHAR(40), "
                                   "x3 VARCHAR(20), x4 VARCHAR(100), note VARCHAR(100))")  # fmt: skip
        for n, (mail, phone, pnr, name) in enumerate([
            ("a@example.se", "070-123 45 67", "850709-9805", "Anna Andersson"),
            ("b@example.com", "+46 8 123 456 78", "9001011239", "Bo Berg"),
            ("c@example.org", "08-765 43 21", "197603123451", "Cecilia Carlsson"),
        ]):  # fmt: skip
            connection.exec_driver_sql(
                f"INSERT INTO leads VALUES ({n}, '{mail}', '{phone}', '{pnr}', '{name}', 'called {n} times')"
            )
    result = scan_system(system, system="crm", sample=50, phone_region="SE")  # the example policy's region
    leads = next(table for table in result.tables if table.name == "leads")
    found = {col.name: (col.category, col.identity) for col in leads.columns}

    assert found["x1"] == ("contact.email", "email")
    assert found["x2"] == ("contact.phone", "phone")
    assert found["x3"] == ("person.national_id", None)
    assert found["x4"] == ("contact.name", None)
    assert found["note"] == ("none", None)
    assert "3 of 3 sampled values look like emails" in render_yaml(result, "x")
