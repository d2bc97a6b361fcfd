"""The connected-systems admin pages: the inventory, a system's mapping and outcomes (failures stand out), owners,
and a system owner's tasks with the confirmation form."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from custos.clock import FixedClock
from custos.runtime import Runtime
from custos.settings import Settings
from custos.setup import initialise
from custos.systems.keys import SubjectKeys
from custos.systems.runs import erase_in_system, task_state

sys.path.append(str(Path(__file__).parents[1] / "systems"))  # the shared customer-system helper
from customer_system import OWNER, connected_runtime

REF = "9a3e1f62-51c4-4f0e-8d6f-1c2b3a4d5e6f"
ANNA = SubjectKeys.of(emails=["anna@example.se"])


@pytest.fixture
def runtime(settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[Runtime]:
    initialise(settings, clock)
    rt, _ = connected_runtime(settings, clock, tmp_path)
    yield rt
    rt.close()


def test_the_inventory_lists_each_system_and_flags_failures(client: TestClient, runtime: Runtime) -> None:
    good = dict(runtime.system_env)
    runtime.system_env = {"CUSTOS_SYSTEM_CRM_URL": "sqlite:////nonexistent/dir/crm.db"}
    erase_in_system(runtime, "crm", ANNA, subject_ref=REF, cause="request:R-1")
    runtime.system_env = good
    page = client.get("/admin/systems")
    assert page.status_code == 200
    assert '<tr id="system-crm" class="flagged">' in page.text
    assert "Database (connected)" in page.text
    assert OWNER in page.text
    assert 'href="/admin/systems"' in page.text  # the nav entry
    detail = client.get("/admin/systems/crm")
    assert detail.status_code == 200
    assert "anonymise customer_id" in detail.text  # the rule per table
    assert 'class="flagged"' in detail.text
    assert "failed" in detail.text
    assert REF in detail.text


def test_an_account_admin_sets_an_owner_in_the_form(
    login_as: Callable[..., TestClient], staff_factory: Callable[..., object]
) -> None:
    admin = login_as("account_admin")
    staff_factory("system_owner", "crm", email="crm.owner@example.se")
    refused = admin.post("/admin/systems/owner", data={"system": "crm", "owner": "nobody@example.se"})
    assert refused.status_code == 422
    assert "active staff member" in refused.text
    done = admin.post(
        "/admin/systems/owner", data={"system": "crm", "owner": "crm.owner@example.se"}, follow_redirects=True
    )
    assert done.status_code == 200
    assert "The owner is set." in done.text
    assert "crm.owner@example.se" in done.text
    assert admin.get("/admin/systems").status_code == 403  # no outcomes (people by ref) for this role


def test_a_system_owner_finds_the_task_and_confirms_it(login_as: Callable[..., TestClient], runtime: Runtime) -> None:
    outcome = erase_in_system(runtime, "mailer", ANNA, subject_ref=REF, cause="request:R-2")
    assert outcome.task_id is not None
    owner = login_as("system_owner", "mailer")
    home = owner.get("/admin")
    assert 'href="/admin/systems/tasks"' in home.text
    assert 'href="/admin/systems"' not in home.text
    tasks = owner.get("/admin/systems/tasks")
    assert f'href="/admin/systems/mailer/tasks/{outcome.task_id}"' in tasks.text
    task = owner.get(f"/admin/systems/mailer/tasks/{outcome.task_id}")
    assert "anna@example.se" in task.text
    incomplete = owner.post(f"/admin/systems/mailer/tasks/{outcome.task_id}/confirm", data={"note": "?"})
    assert incomplete.status_code == 422
    assert task_state(runtime, outcome.task_id) == "open"
    confirmed = owner.post(
        f"/admin/systems/mailer/tasks/{outcome.task_id}/confirm",
        data={"field-1": "contact.email", "other_fields": "newsletter list", "records": "2", "note": "Unsubscribed"},
        follow_redirects=True,
    )
    assert confirmed.status_code == 200
    assert "task is closed" in confirmed.text
    assert task_state(runtime, outcome.task_id) == "done"
    closed = owner.get(f"/admin/systems/mailer/tasks/{outcome.task_id}")
    assert "anna@example.se" not in closed.text  # identities cleared once done
    assert "contact.email, newsletter list" in closed.text
    assert login_as("system_owner", "crm").get(f"/admin/systems/mailer/tasks/{outcome.task_id}").status_code == 403
