"""A connected system's erasure leaves what the law or a reviewer keeps (custos.retention.keep), where its
mapping allows: a table mapping a kept category keeps the person's rows instead of deleting them, an
anonymisation leaves the kept column alone, an HTTP system that holds a kept category gets an owner's task
instead of a delete call, and a retry keeps the same as the first attempt."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from customer_system import connected_runtime, rows
from example_systems import EXAMPLE_MAPPING, TODAY
from sqlalchemy import Engine, select, text

from custos.clock import FixedClock
from custos.runtime import Runtime
from custos.settings import Settings
from custos.systems.erase import erase_subject
from custos.systems.kept import LEGAL_CLAIMS, KeepPlan, Kept
from custos.systems.keys import SubjectKeys
from custos.systems.mapping import parse_mapping
from custos.systems.models import SystemRun, SystemTask
from custos.systems.runs import erase_in_system, retry_failed

MAPPING = parse_mapping(EXAMPLE_MAPPING, "example")
BO = SubjectKeys.of(emails=["bo@example.se"])
CLAIM = ("contact.name kept (legal claims: a dispute over the last invoice)", date(2028, 1, 1))
REF = "0b7e9c1e-4d2a-4c8f-9f3e-6a1d2c3b4e5f"
BOOKKEEPING = "Bokföringslagen (1999:1078) 7 kap. 2 §"


def one(engine: Engine, query: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(query)).all()


def test_rows_holding_a_kept_category_stay_and_say_why_until_when(system: Engine) -> None:
    outcome = erase_subject(system, MAPPING, BO, today=TODAY, keep={"contact.name": CLAIM})
    assert one(system, "SELECT full_name FROM customers WHERE id = 2") == [("Bo Berg",)]  # delete → kept
    assert outcome.tables["customers"].kept == 1
    assert outcome.tables["customers"].deleted == 0
    assert "a dispute over the last invoice" in (outcome.tables["customers"].reason or "")
    assert outcome.tables["customers"].kept_until == date(2028, 1, 1)
    assert one(system, "SELECT count(*) FROM addresses WHERE customer_id = 2") == [(1,)]  # its street is a name
    # The old invoice is past the bookkeeping period: anonymised, but its kept name column is left alone.
    assert one(system, "SELECT billing_name, billing_email FROM invoices WHERE id = 3") == [("Bo Berg", None)]
    assert one(system, "SELECT count(*) FROM customers WHERE id = 1") == [(1,)]  # Anna untouched


def test_without_a_keep_the_mapping_erases_as_before(system: Engine) -> None:
    erase_subject(system, MAPPING, BO, today=TODAY, keep={})
    assert one(system, "SELECT count(*) FROM customers WHERE id = 2") == [(0,)]
    assert one(system, "SELECT billing_name, billing_email FROM invoices WHERE id = 3") == [(None, None)]


@pytest.fixture
def connected(runtime: Runtime, settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[tuple[Runtime, str]]:
    rt, url = connected_runtime(settings, clock, tmp_path, http_base="http://127.0.0.1:9")
    yield rt, url
    rt.close()


def test_an_http_system_holding_a_kept_category_gets_an_owner_task_instead_of_a_delete(
    connected: tuple[Runtime, str],
) -> None:
    rt, _ = connected
    keep = KeepPlan((Kept("finance.invoice", BOOKKEEPING, date(2033, 1, 1), activity="bookkeeping"),))
    outcome = erase_in_system(rt, "finance", BO, subject_ref=REF, cause="request:R-1", keep=keep)
    assert outcome.status == "waiting"  # no DELETE was sent: the call would have removed the invoices too
    with rt.db.transaction() as session:
        task = session.scalars(select(SystemTask).where(SystemTask.system_id == "finance")).one()
        assert task.categories == ["contact.name"]
        assert [(k["category"], k["until"]) for k in task.kept or []] == [("finance.invoice", "2033-01-01")]


def test_a_retried_erasure_keeps_what_its_first_attempt_was_told(connected: tuple[Runtime, str]) -> None:
    rt, url = connected
    keep = KeepPlan((Kept("contact.name", "a dispute", date(2028, 1, 1), LEGAL_CLAIMS),))
    rt.system_env = {"CUSTOS_SYSTEM_CRM_URL": "sqlite:////nonexistent/dir/crm.db"}
    anna = SubjectKeys.of(emails=["anna@example.se"])
    assert erase_in_system(rt, "crm", anna, subject_ref=REF, cause="request:R-2", keep=keep).status == "failed"
    rt.system_env = {"CUSTOS_SYSTEM_CRM_URL": url}
    (retried,) = retry_failed(rt)
    assert retried.status == "done"
    assert rows(url, "SELECT name FROM customers WHERE id = 1") == [("Anna Andersson",)]  # kept, not deleted
    assert rows(url, "SELECT count(*) FROM tickets WHERE requester = 'anna@example.se'") == [(1,)]
    with rt.db.transaction() as session:
        run = session.scalars(select(SystemRun).where(SystemRun.cause == "request:R-2")).one()
        assert [k["category"] for k in run.keep or []] == ["contact.name"]
