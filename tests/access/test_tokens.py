"""API tokens for integrations: shown once, stored as a digest, limited, expiring, revocable, last use kept."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from custos.access.models import ApiToken
from custos.clock import FixedClock
from custos.runtime import Runtime

PERSON = {"name": "Eva Sund", "emails": ["eva@moln.se"], "relationships": [{"subject_category": "prospect"}]}


def _token(web: TestClient, permissions: list[str], scope: str = "custos", days: int = 30) -> tuple[int, str]:
    body = {"name": "crm sync", "permissions": permissions, "scope": scope, "expires_in_days": days}
    response = web.post("/api/v1/tokens", json=body)
    assert response.status_code == 201, response.text
    return response.json()["details"]["id"], response.json()["token"]


def test_a_token_is_shown_once_and_stored_only_as_a_digest(client: TestClient, runtime: Runtime) -> None:
    token_id, token = _token(client, ["register.read"])
    with runtime.db.transaction() as session:
        record = session.get(ApiToken, token_id)
        assert record is not None
        assert record.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in {str(v) for v in vars(record).values()}
    listed = client.get("/api/v1/tokens").json()
    assert [t["id"] for t in listed] == [token_id]
    assert "token" not in listed[0]


def test_a_token_carries_only_its_permissions_and_needs_no_csrf(
    anonymous_client: TestClient, client: TestClient, runtime: Runtime, clock: FixedClock
) -> None:
    _, reader = _token(client, ["register.read"])
    auth = {"Authorization": f"Bearer {reader}"}
    assert anonymous_client.get("/api/v1/people", headers=auth).status_code == 200
    denied = anonymous_client.post("/api/v1/people", json=PERSON, headers=auth)
    assert denied.status_code == 403  # the DPO who made it could, the token cannot
    assert anonymous_client.get("/api/v1/staff", headers=auth).status_code == 403
    _, writer = _token(client, ["register.write"])
    created = anonymous_client.post("/api/v1/people", json=PERSON, headers={"Authorization": f"Bearer {writer}"})
    assert created.status_code == 201  # bearer tokens are not sent by browsers on their own: no CSRF token
    with runtime.db.transaction() as session:
        used = session.scalars(select(ApiToken.last_used_at).order_by(ApiToken.id)).all()
    assert used == [clock.now(), clock.now()]


def test_tokens_expire_and_can_be_revoked(anonymous_client: TestClient, client: TestClient, clock: FixedClock) -> None:
    token_id, token = _token(client, ["register.read"], days=1)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.delete(f"/api/v1/tokens/{token_id}").json()["revoked_at"] is not None
    assert anonymous_client.get("/api/v1/people", headers=auth).status_code == 401
    _, short = _token(client, ["register.read"], days=1)
    clock.advance(timedelta(days=1))
    assert anonymous_client.get("/api/v1/people", headers={"Authorization": f"Bearer {short}"}).status_code == 401
    assert anonymous_client.get("/api/v1/people", headers={"Authorization": "Bearer cst_made-up"}).status_code == 401


def test_a_token_never_exceeds_its_owner(
    anonymous_client: TestClient, login_as: Callable[..., TestClient], client: TestClient
) -> None:
    # A custom role for integration engineers: they may create tokens, and read the register.
    role = {"name": "integrator", "permissions": ["tokens.create", "register.read"]}
    assert client.post("/api/v1/roles", json=role).status_code == 201
    engineer = login_as("integrator")
    refused = engineer.post("/api/v1/tokens", json={"name": "x", "permissions": ["register.write"], "scope": "custos"})
    assert refused.status_code == 403
    _, token = _token(engineer, ["register.read"])
    auth = {"Authorization": f"Bearer {token}"}
    assert anonymous_client.get("/api/v1/people", headers=auth).status_code == 200
    # When the owner loses the grant, the token loses it too.
    me = engineer.get("/api/v1/auth/me").json()["staff"]["id"]
    [grant] = client.get(f"/api/v1/staff/{me}/grants").json()
    assert client.delete(f"/api/v1/grants/{grant['id']}").status_code == 200
    assert anonymous_client.get("/api/v1/people", headers=auth).status_code == 403
    # A token cannot mint tokens.
    assert anonymous_client.post("/api/v1/tokens", json={}, headers=auth).status_code == 403


def test_staff_managers_can_revoke_anyones_token(
    anonymous_client: TestClient, client: TestClient, login_as: Callable[..., TestClient]
) -> None:
    token_id, token = _token(client, ["register.read"])
    owner = client.get("/api/v1/auth/me").json()["staff"]["id"]
    admin = login_as("account_admin")
    assert [t["id"] for t in admin.get(f"/api/v1/staff/{owner}/tokens").json()] == [token_id]
    assert admin.delete(f"/api/v1/staff/{owner}/tokens/{token_id}").status_code == 200
    assert anonymous_client.get("/api/v1/people", headers={"Authorization": f"Bearer {token}"}).status_code == 401
