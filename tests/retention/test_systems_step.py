"""Retention sweeps erase due people in the connected systems too, as idempotent steps of each task (issue 6):
a SQLite customer system, a manual system's owner task, and a failing system retried on the next drive."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from retention_helpers import exists, tombstones
from sqlalchemy import func, select

from conftest import SWEEPER, AddOrganisation, AddPerson, at
from custos.clock import FixedClock
from custos.retention.models import RetentionTask
from custos.retention.schemas import SweepPublic
from custos.retention.sweep import run_sweep
from custos.retention.systems_step import SystemSteps
from custos.runtime import Runtime
from custos.settings import Settings
from custos.systems.models import SystemRun, SystemSubjectKeys, SystemTask
from custos.systems.runs import retry_failed

sys.path.append(str(Path(__file__).parents[1] / "systems"))  # the shared customer-system helper
from customer_system import connected_runtime, rows

TODAY = date(2026, 11, 29)
PROSPECT = {"subject_category": "prospect", "last_interaction_on": date(2015, 1, 10)}  # activity prospects → [crm]


@pytest.fixture
def connected(runtime: Runtime, settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[tuple[Runtime, str]]:
    rt, url = connected_runtime(settings, clock, tmp_path)
    yield rt, url
    rt.close()


def _sweep(rt: Runtime, clock: FixedClock) -> list[SweepPublic]:
    clock.set(at(TODAY))
    return run_sweep(rt, SWEEPER, trigger="job", systems=SystemSteps(rt))


def _tasks(rt: Runtime) -> list[RetentionTask]:
    with rt.db.transaction() as session:
        return list(session.scalars(select(RetentionTask).order_by(RetentionTask.id)))


def _kept_keys(rt: Runtime) -> int:
    with rt.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(SystemSubjectKeys)) or 0)


def test_a_sweep_erases_a_due_person_in_the_customer_system_and_lists_its_counts_on_the_tombstone(
    connected: tuple[Runtime, str], clock: FixedClock, add_person: AddPerson
) -> None:
    rt, url = connected
    ref = add_person("anna@example.se", [PROSPECT], phone="+46 70 123 45 67")
    (report,) = _sweep(rt, clock)
    assert (report.state, report.erased) == ("done", 1)
    assert not exists(rt, ref)
    assert rows(url, "SELECT id FROM customers") == [(2,)]
    assert rows(url, "SELECT requester FROM tickets") == [("bo@example.se",)]
    assert rows(url, "SELECT id, customer_id FROM orders ORDER BY id") == [(10, None), (11, None), (12, 2)]
    (task,) = _tasks(rt)
    assert task.steps == {"crm": "done", "register": "done"}
    (stone,) = tombstones(rt, ref)
    assert stone.counts["crm"]["status"] == "done"
    assert stone.counts["crm"]["tables"]["customers"] == {"deleted": 1, "anonymised": 0, "kept": 0}
    assert stone.counts["crm"]["tables"]["orders"]["anonymised"] == 2
    assert stone.counts["register"]["person"] == 1
    assert _kept_keys(rt) == 0  # the copied identities went with the register step


def test_a_failing_system_leaves_the_step_pending_and_the_next_drive_finishes_it(
    connected: tuple[Runtime, str], clock: FixedClock, add_person: AddPerson
) -> None:
    rt, url = connected
    ref = add_person("anna@example.se", [PROSPECT])
    rt.system_env = {"CUSTOS_SYSTEM_CRM_URL": "sqlite:////nonexistent/dir/crm.db"}
    (report,) = _sweep(rt, clock)
    assert report.state == "running"
    assert report.erased == 0
    assert exists(rt, ref)  # still searchable by the register's identities
    (task,) = _tasks(rt)
    assert (task.state, task.steps) == ("pending", {"crm": "pending", "register": "pending"})
    assert _kept_keys(rt) == 1
    assert rows(url, "SELECT count(*) FROM customers") == [(2,)]

    rt.system_env = {"CUSTOS_SYSTEM_CRM_URL": url}
    first, today = _sweep(rt, clock)  # the unfinished sweep first, then today's (nothing left due)
    assert (first.id, first.state, first.erased) == (report.id, "done", 1)
    assert today.erased == 0
    assert not exists(rt, ref)
    assert rows(url, "SELECT id FROM customers") == [(2,)]
    (task, *_) = _tasks(rt)
    assert (task.state, task.steps) == ("done", {"crm": "done", "register": "done"})
    assert _kept_keys(rt) == 0


def test_a_manual_system_gets_a_task_and_the_register_step_goes_on(
    connected: tuple[Runtime, str], clock: FixedClock, add_person: AddPerson
) -> None:
    rt, _ = connected
    ref = add_person("anna@example.se", [PROSPECT])
    rt.policy = rt.policy.model_copy(
        update={
            "activities": [
                a.model_copy(update={"systems": ["crm", "mailer"]}) if a.id == "prospects" else a
                for a in rt.policy.activities
            ]
        }
    )
    (report,) = _sweep(rt, clock)
    assert report.state == "done"
    assert not exists(rt, ref)
    (task,) = _tasks(rt)
    assert task.steps == {"crm": "done", "mailer": "waiting", "register": "done"}
    with rt.db.transaction() as session:
        (owner_task,) = session.scalars(select(SystemTask))
    assert (owner_task.system_id, owner_task.state, owner_task.cause) == ("mailer", "open", f"retention:{report.id}")
    (stone,) = tombstones(rt, ref)
    assert stone.counts["mailer"] == {"status": "waiting", "tables": {}, "task": owner_task.id}


def test_a_trim_leaves_the_connected_systems_alone(
    connected: tuple[Runtime, str], clock: FixedClock, add_person: AddPerson, add_org: AddOrganisation
) -> None:
    rt, url = connected
    customer = add_org(customer=(date(2018, 1, 1), None))
    add_person("anna@example.se", [PROSPECT, {"subject_category": "customer_contact", "organisation_id": customer}])
    (report,) = _sweep(rt, clock)
    assert (report.trimmed, report.erased) == (1, 0)
    (task,) = _tasks(rt)
    assert task.steps == {"register": "done"}
    assert rows(url, "SELECT count(*) FROM customers") == [(2,)]


def test_a_step_for_a_system_taken_out_of_the_policy_is_skipped_and_the_sweep_finishes(
    connected: tuple[Runtime, str], clock: FixedClock, add_person: AddPerson
) -> None:
    rt, _ = connected
    ref = add_person("anna@example.se", [PROSPECT])
    rt.system_env = {"CUSTOS_SYSTEM_CRM_URL": "sqlite:////nonexistent/dir/crm.db"}
    (report,) = _sweep(rt, clock)
    assert report.state == "running"
    rt.policy = rt.policy.model_copy(update={"systems": [s for s in rt.policy.systems if s.id != "crm"]})
    first, _ = _sweep(rt, clock)
    assert (first.id, first.state, first.erased) == (report.id, "done", 1)
    assert not exists(rt, ref)
    (task, *_) = _tasks(rt)
    assert task.steps == {"crm": "skipped", "register": "done"}
    assert _kept_keys(rt) == 0
    assert retry_failed(rt) == []  # nothing to retry it in, so the identities kept for a retry are cleared
    with rt.db.transaction() as session:
        (run,) = session.scalars(select(SystemRun))
    assert (run.status, run.keys_enc) == ("failed", None)
    assert run.error is not None
    assert "no longer in the policy" in run.error
