"""/api/v1/systems: the inventory with masked URLs, a system's mapping summary and outcomes, owners, and the
manual tasks a system owner sees and confirms — each behind its permission and scope."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from custos.audit.models import AuditEvent
from custos.clock import FixedClock
from custos.runtime import Runtime
from custos.settings import Settings
from custos.setup import initialise
from custos.systems.keys import SubjectKeys
from custos.systems.runs import erase_in_system, task_state

sys.path.append(str(Path(__file__).parents[1] / "systems"))  # the shared customer-system helper
from customer_system import OWNER, connected_runtime

REF = "5b0f5d8e-8c1e-4c43-9a57-0f4f2a6b1c22"
ANNA = SubjectKeys.of(emails=["anna@example.se"], phones=["+46701234567"])


@pytest.fixture
def runtime(settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[Runtime]:
    """The shared fixtures' runtime, with the CRM connected (sql) and the mailer manual."""
    initialise(settings, clock)
    rt, _ = connected_runtime(settings, clock, tmp_path)
    yield rt
    rt.close()


def test_the_inventory_shows_kind_mapping_and_owner_with_the_url_masked(
    client: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    runtime.system_env = {"CUSTOS_SYSTEM_CRM_URL": "postgresql://crm:hunter22@db.internal/crm"}
    response = client.get("/api/v1/systems")
    assert response.status_code == 200
    assert "hunter22" not in response.text
    systems = {s["id"]: s for s in response.json()}
    crm = systems["crm"]
    assert (crm["kind"], crm["mapping_status"], crm["connection"]) == ("sql", "ok", "CUSTOS_SYSTEM_CRM_URL")
    assert crm["masked_url"] == "postgresql://crm:***@db.internal/crm"
    assert systems["mailer"]["owner"] == OWNER
    assert systems["mailer"]["owner_source"] == "policy"
    assert systems["website"]["kind"] == "manual"
    assert systems["website"]["mapping_status"] == "none"


def test_a_system_page_summarises_its_mapping_and_recent_outcomes(client: TestClient, runtime: Runtime) -> None:
    erase_in_system(runtime, "crm", ANNA, subject_ref=REF, cause="request:R-9")
    body = client.get("/api/v1/systems/crm").json()
    tables = {t["table"]: t for t in body["tables"]}
    assert tables["customers"]["rule"] == "delete"
    assert tables["customers"]["identity"] == ["email (email)", "phone (phone)"]
    assert tables["orders"]["rule"] == "anonymise customer_id"
    assert tables["orders"]["categories"] == ["finance.invoice"]
    assert body["last_status"] == "done"
    (run,) = client.get("/api/v1/systems/crm/runs").json()
    assert (run["subject_ref"], run["cause"], run["counts"]["customers"]["deleted"]) == (REF, "request:R-9", 1)


def test_the_owner_is_set_by_a_manager_to_an_active_staff_member_only(
    login_as: Callable[..., TestClient], staff_factory: Callable[..., object], runtime: Runtime
) -> None:
    admin = login_as("account_admin")
    staff_factory("system_owner", "crm", email="crm.owner@example.se")
    refused = admin.put("/api/v1/systems/crm/owner", json={"owner": "nobody@example.se"})
    assert refused.status_code == 422
    response = admin.put("/api/v1/systems/crm/owner", json={"owner": "CRM.owner@example.se"})
    assert response.status_code == 200
    assert (response.json()["owner"], response.json()["owner_source"]) == ("crm.owner@example.se", "admin")
    assert admin.get("/api/v1/systems").status_code == 403  # separation of duties: no outcomes (refs) for them
    with runtime.db.transaction() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "system.owner_set")).one()
    assert event.target == "system:crm"


def test_a_system_owner_sees_and_confirms_only_their_systems_tasks(
    login_as: Callable[..., TestClient], runtime: Runtime
) -> None:
    outcome = erase_in_system(runtime, "mailer", ANNA, subject_ref=REF, cause="request:R-10")
    assert outcome.status == "waiting"
    assert outcome.task_id is not None
    owner = login_as("system_owner", "mailer")
    other = login_as("system_owner", "crm")
    (listed,) = owner.get("/api/v1/systems/tasks").json()
    assert (listed["id"], listed["system"], listed["operation"]) == (outcome.task_id, "mailer", "erase")
    assert other.get("/api/v1/systems/tasks").json() == []
    assert other.get(f"/api/v1/systems/mailer/tasks/{outcome.task_id}").status_code == 403
    assert other.get(f"/api/v1/systems/crm/tasks/{outcome.task_id}").status_code == 404
    detail = owner.get(f"/api/v1/systems/mailer/tasks/{outcome.task_id}").json()
    assert detail["look_for"]["emails"] == ["anna@example.se"]
    assert detail["categories"] == ["contact.email", "contact.name"]
    confirm = owner.post(
        f"/api/v1/systems/mailer/tasks/{outcome.task_id}/confirm",
        json={"fields": ["contact.email", "contact.name"], "records": 1, "note": "Removed from two lists"},
    )
    assert confirm.status_code == 200
    assert confirm.json()["state"] == "done"
    assert task_state(runtime, outcome.task_id) == "done"
    again = owner.post(f"/api/v1/systems/mailer/tasks/{outcome.task_id}/confirm", json={"fields": ["x"]})
    assert again.status_code == 409
    done = owner.get(f"/api/v1/systems/mailer/tasks/{outcome.task_id}").json()
    assert done["look_for"] is None
    assert done["note"] == "Removed from two lists"
    # The request's outcome for the mailer is now done, from the confirmation.
    final = erase_in_system(runtime, "mailer", ANNA, subject_ref=REF, cause="request:R-10")
    assert (final.status, final.counts) == ("done", {"manual": {"records": 1}})
    with runtime.db.transaction() as session:
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.subject == REF)))
    assert {"system.task_open", "system.task_read", "system.task_confirm"} <= set(actions)


def test_a_role_without_systems_permissions_is_refused(login_as: Callable[..., TestClient]) -> None:
    agent = login_as("support_agent")
    assert agent.get("/api/v1/systems").status_code == 403
    assert agent.get("/api/v1/systems/tasks").status_code == 403
    assert agent.put("/api/v1/systems/crm/owner", json={"owner": None}).status_code == 403
