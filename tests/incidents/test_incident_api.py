"""/api/v1/incidents: the same rules over HTTP, with the permissions of each role."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from custos.clock import FixedClock

AWARE = "2026-11-26T09:00:00Z"  # 73 hours before the fixture clock (2026-11-29 10:00 UTC)
BODY = {
    "summary": "Backup bucket was public for two days",
    "reported_by": "Ops on call",
    "kinds": ["confidentiality", "availability"],
    "aware_at": AWARE,
    "systems": ["crm"],
    "data_categories": ["contact.email"],
    "subject_categories": ["customer_contact"],
}


def test_open_patch_decide_notify_and_document(client: TestClient) -> None:
    created = client.post("/api/v1/incidents", json=BODY)
    assert created.status_code == 201, created.text
    incident = created.json()
    assert incident["deadline"] == "2026-11-29T09:00:00Z"
    assert incident["remaining_hours"] == -1.0
    url = f"/api/v1/incidents/{incident['id']}"

    patched = client.patch(url, json={"risk": "risk", "risk_reasoning": "emails exposed", "note": "assessed"})
    assert patched.status_code == 200, patched.text
    assert [e["kind"] for e in patched.json()["timeline"]] == ["open", "update"]

    late = client.post(f"{url}/notifications", json={"reference": "IMY-2026-77"})
    assert late.status_code == 422
    assert late.json()["error"]["problems"][0]["location"] == "late_reason"
    sent = client.post(f"{url}/notifications", json={"reference": "IMY-2026-77", "late_reason": "found on a Sunday"})
    assert sent.status_code == 201, sent.text
    assert sent.json()["late"] is True

    not_notify = client.post(f"{url}/decision", json={"decision": "not_notify", "reasoning": "nothing to see here"})
    assert not_notify.status_code == 409

    html = client.get(f"{url}/document", params={"format": "html"})
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert "Art. 33(3)(d)" in html.text
    doc = client.get(f"{url}/document").json()
    assert doc["phase"] == "supplement"
    assert doc["timing"]["late"] is True

    listed = client.get("/api/v1/incidents", params={"state": "open"}).json()
    assert [i["id"] for i in listed] == [incident["id"]]
    assert client.delete(url).status_code == 405  # incidents are never deleted (Art. 33(5))


def test_policy_validation_is_a_422_with_problems(client: TestClient) -> None:
    response = client.post("/api/v1/incidents", json={**BODY, "systems": ["mainframe"]})
    assert response.status_code == 422
    assert response.json()["error"]["problems"][0]["location"] == "systems[0]"


def test_the_auditor_reads_but_cannot_change(client: TestClient, login_as: Callable[..., TestClient]) -> None:
    incident = client.post("/api/v1/incidents", json=BODY).json()
    auditor = login_as("auditor")
    assert auditor.get(f"/api/v1/incidents/{incident['id']}").status_code == 200
    assert auditor.get(f"/api/v1/incidents/{incident['id']}/document").status_code == 200
    assert auditor.get(f"/api/v1/incidents/{incident['id']}/letters").status_code == 403
    assert auditor.patch(f"/api/v1/incidents/{incident['id']}", json={"note": "x"}).status_code == 403
    assert login_as("support_agent").get("/api/v1/incidents").status_code == 403


def test_processor_customers_are_tracked_one_by_one(client: TestClient, clock: FixedClock) -> None:
    orgs = [
        client.post("/api/v1/organisations", json={"name": name, "roles": [{"role": "customer"}]}).json()["id"]
        for name in ("Kund A AB", "Kund B AB")
    ]
    body = {**BODY, "role": "processor", "customer_ids": orgs, "aware_at": clock.now().isoformat()}
    incident = client.post("/api/v1/incidents", json=body).json()
    assert [c["state"] for c in incident["customers"]] == ["pending", "pending"]
    url = f"/api/v1/incidents/{incident['id']}"
    clock.advance(timedelta(minutes=10))
    told = client.post(f"{url}/customers", json={"organisation_id": orgs[0], "channel": "email", "reference": "T-1"})
    assert told.status_code == 200, told.text
    states = {c["organisation_id"]: (c["state"], c["notified_at"]) for c in told.json()["customers"]}
    assert states == {orgs[0]: ("notified", "2026-11-29T10:10:00Z"), orgs[1]: ("pending", None)}
    assert client.post(f"{url}/customers", json={"organisation_id": orgs[0]}).status_code == 409
    removing = client.patch(url, json={"customer_ids": [orgs[1]]})
    assert removing.status_code == 422
    controller_doc = client.get(f"{url}/document", params={"audience": "controller"}).json()
    assert [c["state"] for c in controller_doc["customers"]] == ["notified", "pending"]
    assert "controller" in controller_doc["title"]


def test_nis2_track(login_as: Callable[..., TestClient], clock: FixedClock) -> None:
    client = login_as("privacy_officer")
    incident = client.post("/api/v1/incidents", json={**BODY, "nis2": True, "aware_at": clock.now().isoformat()}).json()
    assert incident["nis2"]["early_warning_due"] == "2026-11-30T10:00:00Z"
    url = f"/api/v1/incidents/{incident['id']}/notifications"
    assert client.post(url, json={"recipient": "csirt", "phase": "initial"}).status_code == 422
    clock.set(datetime(2026, 11, 30, 10, 30, tzinfo=UTC))
    client = login_as("privacy_officer")  # a new session: the first one has timed out overnight
    early = client.post(url, json={"recipient": "csirt", "phase": "early_warning"})
    assert early.status_code == 422  # 30 minutes late, no reason given
    ok = client.post(url, json={"recipient": "csirt", "phase": "early_warning", "late_reason": "CSIRT portal down"})
    assert ok.status_code == 201
    client.post(url, json={"recipient": "csirt", "phase": "notification"})
    shown = client.get(f"/api/v1/incidents/{incident['id']}").json()
    assert shown["nis2"]["final_report_due"] == "2026-12-30T10:30:00Z"
