"""/api/v1/retention: the plan, holds and sweeps over HTTP, each behind its permission."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi.testclient import TestClient
from retention_helpers import exists

from conftest import AddOrganisation, AddPerson
from custos.clock import FixedClock
from custos.jobs.registry import scheduler_for
from custos.runtime import Runtime


def test_plan_holds_and_a_sweep_through_the_api(
    client: TestClient, runtime: Runtime, clock: FixedClock, add_org: AddOrganisation, add_person: AddPerson
) -> None:
    org = add_org(customer=(date(2003, 1, 1), date(2014, 10, 31)))
    contact = add_person("api.contact@example.se", [{"subject_category": "customer_contact", "organisation_id": org}])
    prospect = add_person(
        "api.p@example.se", [{"subject_category": "prospect", "last_interaction_on": date(2013, 1, 1)}]
    )
    page = client.get("/api/v1/retention/plan").json()
    assert page["people_to_erase"] == 2
    assert {(i["person_ref"], i["due_on"]) for i in page["items"]} == {
        (contact, "2024-10-31"),
        (prospect, "2023-01-01"),
    }

    response = client.post("/api/v1/retention/holds", json={"organisation_id": org, "reason": "Open claim"})
    assert response.status_code == 201, response.text
    hold = response.json()
    assert hold["active"] is True
    assert hold["organisation_name"]
    assert client.get("/api/v1/retention/plan").json()["people_held"] == 1

    response = client.post("/api/v1/retention/sweeps")
    assert response.status_code == 202
    assert scheduler_for(runtime).tick() == ["retention-sweep"]  # the wake-up is picked up by a worker
    assert exists(runtime, contact)
    assert not exists(runtime, prospect)
    (sweep,) = client.get("/api/v1/retention/sweeps").json()
    assert (sweep["erased"], sweep["held"], sweep["tombstones"]) == (1, 1, 1)

    assert client.post(f"/api/v1/retention/holds/{hold['id']}/release").json()["active"] is False
    assert client.get("/api/v1/retention/holds").json() == []
    assert len(client.get("/api/v1/retention/holds", params={"all": True}).json()) == 1


def test_a_hold_needs_exactly_one_target(client: TestClient, runtime: Runtime) -> None:
    response = client.post("/api/v1/retention/holds", json={"reason": "nobody"})
    assert response.status_code == 422
    response = client.post("/api/v1/retention/holds", json={"person_ref": "0" * 8, "reason": "unknown"})
    assert response.status_code == 404


def test_roles_without_retention_permissions_are_refused(login_as: Callable[..., TestClient]) -> None:
    assert login_as("auditor").get("/api/v1/retention/plan").status_code == 403
    assert login_as("support_agent").post("/api/v1/retention/sweeps").status_code == 403
    assert login_as("privacy_officer").get("/api/v1/retention/plan").status_code == 200
