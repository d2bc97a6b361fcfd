"""Exporting and erasing one person per system, with each outcome recorded (issue 6): a SQLite customer system,
a manual system's owner task, a failing system that does not stop the others and is retried."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from customer_system import OWNER, connected_runtime, rows
from sqlalchemy import select

from custos.audit.models import AuditEvent
from custos.clock import FixedClock
from custos.runtime import Runtime
from custos.settings import Settings
from custos.systems.keys import SubjectKeys
from custos.systems.models import SystemRun, SystemTask
from custos.systems.runs import (
    erase_in_system,
    export_from_system,
    list_systems,
    retry_failed,
    task_state,
)

REF = "3f1c2a9e-0d5b-4a51-9c3e-2b7d8e6f4a10"
ANNA = SubjectKeys.of(emails=["Anna@Example.se"], phones=["070-123 45 67"], phone_region="SE")


@pytest.fixture
def connected(runtime: Runtime, settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[tuple[Runtime, str]]:
    rt, url = connected_runtime(settings, clock, tmp_path)
    yield rt, url
    rt.close()


def _runs(rt: Runtime) -> list[SystemRun]:
    with rt.db.transaction() as session:
        return list(session.scalars(select(SystemRun).order_by(SystemRun.id)))


def test_list_systems_gives_kind_environment_and_owner(connected: tuple[Runtime, str]) -> None:
    rt, _ = connected
    systems = {s.id: s for s in list_systems(rt)}
    assert systems["crm"].kind == "sql"
    assert systems["mailer"].kind == "manual"
    assert systems["mailer"].owner == OWNER
    assert systems["website"].kind == "manual"
    assert systems["website"].environment == "production"


def test_export_finds_every_row_of_the_person_with_its_categories(connected: tuple[Runtime, str]) -> None:
    rt, _ = connected
    result = export_from_system(rt, "crm", ANNA, subject_ref=REF, cause="request:R-1")
    assert result.status == "done"
    assert result.error is None
    by_table = {t.table: t for t in result.tables}
    assert [r["name"] for r in by_table["customers"].rows] == ["Anna Andersson"]
    assert len(by_table["orders"].rows) == 2
    assert "amount" in by_table["orders"].rows[0]
    assert [r["body"] for r in by_table["tickets"].rows] == ["Cannot log in"]
    assert by_table["customers"].categories["email"] == "contact.email"
    (run,) = _runs(rt)
    assert (run.operation, run.status, run.counts["orders"]) == ("export", "done", {"rows": 2})


def test_erasure_deletes_anonymises_and_keeps_by_the_mapping_and_a_second_run_changes_nothing(
    connected: tuple[Runtime, str],
) -> None:
    rt, url = connected
    outcome = erase_in_system(rt, "crm", ANNA, subject_ref=REF, cause="request:R-2")
    assert outcome.status == "done"
    assert outcome.counts["customers"]["deleted"] == 1
    assert outcome.counts["tickets"]["deleted"] == 1
    assert outcome.counts["orders"]["anonymised"] == 2
    assert rows(url, "SELECT id FROM customers") == [(2,)]
    # The amounts stay for bookkeeping; the link to Anna is gone.
    assert rows(url, "SELECT id, customer_id, amount FROM orders ORDER BY id") == [
        (10, None, 1200.5),
        (11, None, 99),
        (12, 2, 10),
    ]
    assert rows(url, "SELECT requester FROM tickets") == [("bo@example.se",)]
    again = erase_in_system(rt, "crm", ANNA, subject_ref=REF, cause="request:R-2")
    assert again == outcome  # the recorded outcome; nothing sent to the system again
    other_cause = erase_in_system(rt, "crm", ANNA, subject_ref=REF, cause="request:R-3")
    assert other_cause.status == "done"
    assert all(c.get("deleted", 0) == 0 and c.get("anonymised", 0) == 0 for c in other_cause.counts.values())
    assert rows(url, "SELECT count(*) FROM orders") == [(3,)]


def test_a_manual_system_gets_one_task_for_its_owner_and_waits(
    connected: tuple[Runtime, str], staff_factory: Callable[..., Any]
) -> None:
    rt, _ = connected
    staff_factory("system_owner", "mailer", email=OWNER)  # an owner counts only with an account and the role
    first = erase_in_system(rt, "mailer", ANNA, subject_ref=REF, cause="request:R-4")
    second = erase_in_system(rt, "mailer", ANNA, subject_ref=REF, cause="request:R-4")
    assert first.status == second.status == "waiting"
    assert first.task_id is not None
    assert first.task_id == second.task_id
    assert task_state(rt, first.task_id) == "open"
    with rt.db.transaction() as session:
        (task,) = session.scalars(select(SystemTask))
        assert task.owner == OWNER
        assert task.categories == ["contact.email", "contact.name"]
        assert task.identities_enc is not None
        assert b"anna" not in task.identities_enc


def test_a_failing_system_is_recorded_without_its_url_password_and_retried(
    connected: tuple[Runtime, str], tmp_path: Path
) -> None:
    rt, url = connected
    rt.system_env = {"CUSTOS_SYSTEM_CRM_URL": "postgresql://crm:s3cret-pw@127.0.0.1:1/crm"}
    failed = erase_in_system(rt, "crm", ANNA, subject_ref=REF, cause="retention:7")
    assert failed.status == "failed"
    assert failed.error
    assert "s3cret-pw" not in failed.error
    manual = erase_in_system(rt, "mailer", ANNA, subject_ref=REF, cause="retention:7")
    assert manual.status == "waiting"  # the other systems go on
    (run,) = [r for r in _runs(rt) if r.system_id == "crm"]
    assert run.keys_enc is not None  # kept, encrypted, for the retry
    rt.system_env = {"CUSTOS_SYSTEM_CRM_URL": url}
    (retried,) = retry_failed(rt)
    assert retried.status == "done"
    assert retried.counts["customers"]["deleted"] == 1
    (run,) = [r for r in _runs(rt) if r.system_id == "crm"]
    assert (run.attempts, run.status, run.keys_enc) == (2, "done", None)
    assert retry_failed(rt) == []
    with rt.db.transaction() as session:
        events = list(
            session.scalars(select(AuditEvent).where(AuditEvent.action == "system.erase").order_by(AuditEvent.seq))
        )
    assert [e.outcome for e in events if e.target == "system:crm"] == ["failed", "ok"]
    assert all(e.subject == REF for e in events)
