"""Staff, grants, custom roles and the access review over HTTP, as an account administrator uses them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from custos.audit import AuditEvent
from custos.clock import FixedClock
from custos.runtime import Runtime


def _login(web: TestClient, email: str, password: str) -> int:
    return web.post("/api/v1/auth/login", json={"email": email, "password": password}).status_code


def test_account_admin_adds_staff_and_grants_a_role(
    login_as: Callable[..., TestClient], anonymous_client: TestClient, runtime: Runtime
) -> None:
    admin = login_as("account_admin")
    created = admin.post("/api/v1/staff", json={"email": "Maja@Elastx.SE", "name": "Maja Ek"})
    assert created.status_code == 201, created.text
    staff, password = created.json()["staff"], created.json()["password"]
    assert (staff["email"], staff["must_change_password"], staff["totp_enrolled"]) == ("maja@elastx.se", True, False)
    grant = admin.post(f"/api/v1/staff/{staff['id']}/grants", json={"role": "privacy_officer", "scope": "custos"})
    assert grant.status_code == 201, grant.text
    assert grant.json()["granted_by_id"] == admin.get("/api/v1/auth/me").json()["staff"]["id"]
    assert _login(anonymous_client, "maja@elastx.se", password) == 200
    # The account admin still sees no personal data (separation of duties).
    assert admin.get("/api/v1/people").status_code == 403
    with runtime.db.transaction() as session:
        actions = set(session.scalars(select(AuditEvent.action)))
    assert {"staff.create", "grant.create", "access.denied"} <= actions


def test_grants_are_checked(login_as: Callable[..., TestClient], client: TestClient) -> None:
    admin = login_as("account_admin")
    me = admin.get("/api/v1/auth/me").json()["staff"]["id"]
    to_self = admin.post(f"/api/v1/staff/{me}/grants", json={"role": "dpo", "scope": "*"})
    assert to_self.status_code == 403  # nobody raises their own privileges
    other = client.post("/api/v1/staff", json={"email": "ola@elastx.se", "name": "Ola"}).json()["staff"]["id"]
    bad = admin.post(f"/api/v1/staff/{other}/grants", json={"role": "wizard", "scope": "mars"})
    assert bad.status_code == 422
    assert {p["location"] for p in bad.json()["error"]["problems"]} == {"role", "scope"}
    ok = admin.post(f"/api/v1/staff/{other}/grants", json={"role": "system_owner", "scope": "crm"})
    assert ok.status_code == 201
    again = admin.post(f"/api/v1/staff/{other}/grants", json={"role": "system_owner", "scope": "crm"})
    assert again.status_code == 409


def test_a_grant_ends_at_its_expiry_and_when_revoked(
    client: TestClient, login_as: Callable[..., TestClient], clock: FixedClock, staff_factory: Callable[..., object]
) -> None:
    member = staff_factory(None)
    staff_id = member.id  # type: ignore[attr-defined]
    expires = (clock.now() + timedelta(days=2)).isoformat()
    made = client.post(
        f"/api/v1/staff/{staff_id}/grants", json={"role": "auditor", "scope": "*", "expires_at": expires}
    )
    assert made.status_code == 201
    web = login_as(staff=member)
    assert web.get("/api/v1/audit/events").status_code == 200
    clock.advance(timedelta(days=2))
    web = login_as(staff=member)
    denied = web.get("/api/v1/audit/events")
    assert (denied.status_code, denied.json()["error"]["code"]) == (403, "permission_denied")
    dpo = login_as("dpo")
    assert dpo.get(f"/api/v1/staff/{staff_id}/grants").json() == []
    history = dpo.get(f"/api/v1/staff/{staff_id}/grants", params={"include_ended": True}).json()
    assert [g["role"] for g in history] == ["auditor"]


def test_disabling_an_account_ends_its_sessions(client: TestClient, login_as: Callable[..., TestClient]) -> None:
    auditor = login_as("auditor")
    auditor_id = auditor.get("/api/v1/auth/me").json()["staff"]["id"]
    assert client.patch(f"/api/v1/staff/{auditor_id}", json={"status": "disabled"}).json()["status"] == "disabled"
    assert auditor.get("/api/v1/audit/events").status_code == 401
    me = client.get("/api/v1/auth/me").json()["staff"]["id"]
    assert client.patch(f"/api/v1/staff/{me}", json={"status": "disabled"}).status_code == 403


def test_custom_roles(client: TestClient, login_as: Callable[..., TestClient]) -> None:
    role = {"name": "records_clerk", "description": "Reads the records", "permissions": ["records.read", "policy.read"]}
    assert client.post("/api/v1/roles", json=role).status_code == 201
    assert client.post("/api/v1/roles", json=role).status_code == 409
    bad = client.post("/api/v1/roles", json={"name": "dpo", "permissions": ["register.fly"]})
    assert bad.status_code == 422
    names = {r["name"]: r for r in client.get("/api/v1/roles").json()}
    assert names["records_clerk"]["built_in"] is False
    assert names["dpo"]["built_in"] is True
    assert login_as("records_clerk").get("/api/v1/people").status_code == 403


def test_access_review_flags_what_needs_a_look(
    client: TestClient, staff_factory: Callable[..., object], clock: FixedClock, login_as: Callable[..., TestClient]
) -> None:
    sleeper = staff_factory("privacy_officer", "custos", totp=False)
    staff_id = sleeper.id  # type: ignore[attr-defined]
    soon = (clock.now() + timedelta(days=100, hours=1)).isoformat()
    client.post(f"/api/v1/staff/{staff_id}/grants", json={"role": "auditor", "scope": "*", "expires_at": soon})
    clock.advance(timedelta(days=95))
    reviewer = login_as("account_admin")
    rows = {(r["staff_id"], r["role"]): r for r in reviewer.get("/api/v1/access-review").json()}
    officer = rows[(staff_id, "privacy_officer")]
    assert "unused for 95 days" in officer["findings"]
    assert "personal-data role without a second factor" in officer["findings"]
    assert "expires in 5 days" in rows[(staff_id, "auditor")]["findings"]
    dpo = next(r for (_, role), r in rows.items() if role == "dpo" and r["last_used_at"] is not None)
    assert any("separation of duties" in f for f in dpo["findings"])
    assert "unused for 95 days" in dpo["findings"]  # last used when the auditor grant was made
    admin = next(r for (_, role), r in rows.items() if role == "account_admin")
    assert admin["findings"] == []  # used just now, by this very request; no personal data
