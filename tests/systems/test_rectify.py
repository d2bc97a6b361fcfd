"""Rectification in a connected system (Art. 16): the identity columns holding the old address and the columns
the mapping marks for a name, in the person's rows only, on SQLite, PostgreSQL and MariaDB; and through
`rectify_in_system`, recorded, with a task saying what to correct for a manual system."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from customer_system import OWNER, connected_runtime, rows
from example_systems import EXAMPLE_MAPPING
from sqlalchemy import Engine, select, text
from test_engine import snapshot

from custos.actor import Actor
from custos.audit.models import AuditEvent
from custos.clock import FixedClock
from custos.errors import InvalidInput, SystemFailed
from custos.runtime import Runtime
from custos.settings import Settings
from custos.systems.keys import SubjectKeys
from custos.systems.mapping import parse_mapping
from custos.systems.models import SystemRun
from custos.systems.rectify import Rectification, rectify_subject
from custos.systems.runs import rectify_in_system
from custos.systems.tasks import confirm_task, task_detail


def _mark(mapping: str, after: str, rectify: str) -> str:
    """The mapping with a `rectify:` line inserted after `after` (the table's last columns line)."""
    assert after in mapping
    return mapping.replace(after, f"{after}    rectify: {rectify}\n", 1)


MARKED = _mark(
    _mark(
        _mark(EXAMPLE_MAPPING, "      created_at: none\n", "{full_name: name}"),
        "      namn: contact.name\n      e_post: contact.email\n",
        "{namn: name}",
    ),
    "      billing_email: contact.email\n",
    "{billing_name: name}",
)
MAPPING = parse_mapping(MARKED, "marked")
ANNA = SubjectKeys.of(emails=["anna@example.se"])
NEW = "anna.lind@example.se"
CHANGES = Rectification(email=("anna@example.se", NEW), fields={"name": "Anna Lind"})
REF = "5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f"


def select_rows(engine: Engine, query: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query))]


def test_rectification_replaces_the_old_address_and_the_marked_name_columns(system: Engine) -> None:
    assert MAPPING.tables["customers"].rectify == {"full_name": "name"}
    before = snapshot(system)

    counts = rectify_subject(system, MAPPING, ANNA, CHANGES)

    assert counts == {"customers": 1, "contacts": 1, "invoices": 2, "tickets": 2}
    assert select_rows(system, "SELECT email, full_name FROM customers WHERE id = 1") == [(NEW, "Anna Lind")]
    # Anna as a contact of another customer: her address and her name; Anders, a contact under her customer row
    # (found through the reference, with an address of his own), keeps his.
    contacts = select_rows(system, "SELECT id, namn, e_post FROM contacts ORDER BY id")
    assert contacts == [
        (1, "Anders Andersson", "anders@example.se"),
        (2, "Anna Lind", NEW),
        (3, "Carl Carlsson", "carl@example.se"),
    ]
    # Invoices have no identity column: rows under her customer row are hers; billing_email is not an identity
    # column, so the mapping does not say it is to be corrected.
    invoices = select_rows(
        system, "SELECT id, billing_name, billing_email FROM invoices WHERE id IN (1, 2) ORDER BY id"
    )
    assert invoices == [(1, "Anna Lind", "anna@example.se"), (2, "Anna Lind", "anna@example.se")]
    assert select_rows(system, "SELECT id FROM tickets WHERE requester_email = 'anna.lind@example.se' ORDER BY id") == [
        (1,),
        (2,),
    ]
    after = snapshot(system)
    for table in ("addresses", "invoice_lines"):
        assert after[table] == before[table]
    assert [r for r in after["customers"] if r["id"] != 1] == [r for r in before["customers"] if r["id"] != 1]

    # Again with the old address: nothing is found under it any more; with the new one: everything is right.
    assert rectify_subject(system, MAPPING, ANNA, CHANGES) == {}
    assert rectify_subject(system, MAPPING, SubjectKeys.of(emails=[NEW]), CHANGES) == {}


def test_a_phone_is_replaced_only_where_it_held_the_old_number(system: Engine) -> None:
    keys = SubjectKeys.of(phones=["+46701234567"])
    counts = rectify_subject(system, MAPPING, keys, Rectification(phone=("+46701234567", "+46707654321")))
    assert counts == {"customers": 1}
    assert select_rows(system, "SELECT id, telefon FROM customers ORDER BY id")[:2] == [
        (1, "+46707654321"),
        (2, "+46702345678"),
    ]


def test_a_mapping_out_of_date_fails_naming_the_table_and_changes_nothing(system: Engine) -> None:
    before = snapshot(system)
    # The mapping marks a column the table does not have: reading the person's rows there fails.
    broken = parse_mapping(
        MARKED.replace(
            "      requester_email: email\n", "      requester_email: email\n    rectify: {namn: name}\n"
        ).replace("    columns:\n      subject:", "    columns:\n      namn: contact.name\n      subject:"),
        "broken",
    )
    with pytest.raises(SystemFailed) as failed:
        rectify_subject(system, broken, ANNA, CHANGES)
    assert failed.value.table == "tickets"
    assert snapshot(system) == before


def test_a_marked_column_must_be_personal_data_in_the_mapping() -> None:
    with pytest.raises(InvalidInput) as problem:
        parse_mapping(MARKED.replace("    rectify: {full_name: name}", "    rectify: {created_at: name}"), "bad")
    assert "created_at is corrected by a rectification" in str(problem.value.problems)


@pytest.fixture
def connected(runtime: Runtime, settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[tuple[Runtime, str]]:
    rt, url = connected_runtime(settings, clock, tmp_path)
    yield rt, url
    rt.close()


def test_rectify_in_system_records_the_outcome_and_asks_a_manual_owner(connected: tuple[Runtime, str]) -> None:
    rt, url = connected
    keys = SubjectKeys.of(emails=["anna@example.se"])
    changes = Rectification(email=("anna@example.se", NEW), fields={"name": "Anna Lind"})

    crm = rectify_in_system(rt, "crm", keys, changes, subject_ref=REF, cause="request:R-9")
    assert crm.status == "done", crm.error
    assert crm.counts == {"customers": {"corrected": 1}, "tickets": {"corrected": 1}}
    assert rows(url, "SELECT email, name FROM customers WHERE id = 1") == [(NEW, "Anna Lind")]
    # Done once per cause: asked again, the recorded outcome comes back and the system is not touched.
    again = rectify_in_system(rt, "crm", keys, changes, subject_ref=REF, cause="request:R-9")
    assert again.counts == crm.counts

    mailer = rectify_in_system(rt, "mailer", keys, changes, subject_ref=REF, cause="request:R-9")
    assert mailer.status == "waiting"
    assert mailer.task_id is not None
    owner = Actor(kind="staff", id=7, label=OWNER)
    with rt.work(owner) as work:
        detail = task_detail(work, "mailer", mailer.task_id)
        assert detail.task.operation == "rectify"
        assert detail.keys is not None
        assert detail.keys.emails == ("anna@example.se",)
        assert detail.correct == {"email": NEW, "name": "Anna Lind"}  # what to write, for the owner only
        confirm_task(
            work, "mailer", mailer.task_id, fields=["contact.email", "contact.name"], records=1, note=None,
        )  # fmt: skip
        detail = task_detail(work, "mailer", mailer.task_id)
        assert detail.correct is None  # cleared with the identities once confirmed
    done = rectify_in_system(rt, "mailer", keys, changes, subject_ref=REF, cause="request:R-9")
    assert done.status == "done"
    with rt.db.transaction() as session:
        runs = {
            r.system_id: r.status for r in session.scalars(select(SystemRun).where(SystemRun.operation == "rectify"))
        }
        audited = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "system.rectify")))
    assert runs == {"crm": "done", "mailer": "done"}
    assert audited
    assert all("anna" not in str(e.details) for e in audited)
    assert any(e.details.get("corrected") == 2 for e in audited)
