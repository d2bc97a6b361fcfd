"""Separation of duties cannot be walked around (issue 13, item 4): no member hands on more than they hold, and
a grant that reaches personal data gives nothing until a second member who holds it approves it (four eyes)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from custos.access.four_eyes import grant_breaches
from custos.access.models import Grant, Staff
from custos.app import create_app
from custos.audit import AuditEvent
from custos.clock import FixedClock
from custos.runtime import Runtime
from custos.settings import Settings

LoginAs = Callable[..., TestClient]
StaffFactory = Callable[..., object]


@pytest.fixture
def fresh_client(settings: Settings, runtime: Runtime) -> Iterator[Callable[[], TestClient]]:
    with ExitStack() as stack:
        yield lambda: stack.enter_context(TestClient(create_app(settings, runtime=runtime)))


def _first_login(web: TestClient, clock: FixedClock, email: str, password: str) -> TestClient:
    """Log in with a one-time password, choose a new one and enrol TOTP, as the attacker in the issue did."""
    logged_in = web.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert logged_in.status_code == 200, logged_in.text
    web.headers["X-CSRF-Token"] = logged_in.json()["csrf_token"]
    new = {"current_password": password, "new_password": "a long and private passphrase"}
    assert web.post("/api/v1/auth/password", json=new).status_code == 204
    secret = web.post("/api/v1/auth/totp/enrol").json()["secret"]
    confirmed = web.post("/api/v1/auth/totp/confirm", json={"code": pyotp.TOTP(secret).at(clock.now())})
    assert confirmed.status_code == 200, confirmed.text
    return web


def _id(web: TestClient) -> int:
    return int(web.get("/api/v1/auth/me").json()["staff"]["id"])


def _actions(runtime: Runtime) -> list[AuditEvent]:
    with runtime.db.transaction() as session:
        events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
        session.expunge_all()
        return events


def test_the_issue_walk_around_gives_the_second_account_nothing_until_a_second_person_approves(
    login_as: LoginAs, client: TestClient, fresh_client: Callable[[], TestClient], clock: FixedClock, runtime: Runtime
) -> None:
    admin = login_as("account_admin")
    created = admin.post("/api/v1/staff", json={"email": "sock@elastx.se", "name": "Second account"}).json()
    sock_id, password = created["staff"]["id"], created["password"]
    proposed = admin.post(f"/api/v1/staff/{sock_id}/grants", json={"role": "dpo", "scope": "*"})
    assert proposed.status_code == 201, proposed.text
    assert (proposed.json()["state"], proposed.json()["approval"]) == ("pending", "required")
    # Nobody approves it while the account still has the password its creator saw.
    early = client.post(f"/api/v1/grants/{proposed.json()['id']}/approve")
    assert early.status_code == 409
    assert "has not set up the account yet" in early.json()["error"]["message"]
    # The account admin saw the one-time password and sets the account up, TOTP and all ...
    sock = _first_login(fresh_client(), clock, "sock@elastx.se", password)
    # ... and still reads nobody: a proposal gives nothing.
    denied = sock.get("/api/v1/people")
    assert (denied.status_code, denied.json()["error"]["code"]) == (403, "permission_denied")
    assert admin.get("/api/v1/people").status_code == 403
    # Neither the proposer nor the grantee can be the second pair of eyes.
    grant_id = proposed.json()["id"]
    own = admin.post(f"/api/v1/grants/{grant_id}/approve")
    assert own.status_code == 403
    assert "four eyes" in own.json()["error"]["message"]
    assert sock.post(f"/api/v1/grants/{grant_id}/approve").status_code == 403
    # The DPO approves: from now on the account reads the register, and the log says who decided.
    approved = client.post(f"/api/v1/grants/{grant_id}/approve")
    assert approved.status_code == 200, approved.text
    assert (approved.json()["state"], approved.json()["decided_by_id"]) == ("active", _id(client))
    assert sock.get("/api/v1/people").status_code == 200
    events = {e.action: e for e in _actions(runtime)}
    assert events["grant.propose"].details["needs_approval"] == "personal_data"
    assert events["grant.propose"].actor_id == _id(admin)
    assert events["grant.approve"].reference == f"grant:{grant_id}"
    assert events["grant.approve"].details["proposed_by"] == f"staff:{_id(admin)}"
    with runtime.db.transaction() as session:
        assert grant_breaches(session, runtime.policy, clock.now()) == []


def test_no_escalation_through_a_custom_role(
    login_as: LoginAs, client: TestClient, staff_factory: StaffFactory
) -> None:
    admin = login_as("account_admin")
    smuggled = {"name": "helper", "permissions": ["staff.manage", "register.read"]}
    refused = admin.post("/api/v1/roles", json=smuggled)
    assert refused.status_code == 403
    assert "register.read" in refused.json()["error"]["message"]
    # A DPO may define it; granting it still waits for four eyes, because it reaches personal data.
    assert client.post("/api/v1/roles", json={"name": "reader", "permissions": ["register.read"]}).status_code == 201
    member = staff_factory(None)
    made = admin.post(f"/api/v1/staff/{member.id}/grants", json={"role": "reader", "scope": "custos"})  # type: ignore[attr-defined]
    assert made.json()["state"] == "pending"
    assert login_as(staff=member).get("/api/v1/people").status_code == 403


def test_a_scope_wider_than_ones_own_waits_for_someone_who_holds_it(
    login_as: LoginAs, staff_factory: StaffFactory, client: TestClient, runtime: Runtime
) -> None:
    admin = login_as("account_admin", "custos")
    member = staff_factory(None)
    staff_id = member.id  # type: ignore[attr-defined]
    within = admin.post(f"/api/v1/staff/{staff_id}/grants", json={"role": "account_admin", "scope": "custos"})
    assert within.json()["state"] == "active"  # within the granter's own grant, no personal data
    wider = admin.post(f"/api/v1/staff/{staff_id}/grants", json={"role": "account_admin", "scope": "*"})
    assert wider.json()["state"] == "pending"
    beyond = admin.post(f"/api/v1/staff/{staff_id}/grants", json={"role": "auditor", "scope": "custos"})
    assert beyond.json()["state"] == "pending"  # audit.read is not the account admin's to give
    needs = [e.details["needs_approval"] for e in _actions(runtime) if e.action == "grant.propose"]
    assert needs == ["beyond_granter", "beyond_granter"]
    # Another account admin of `custos` only does not hold it for "*", so cannot approve it either.
    other = login_as("account_admin", "custos")
    refused = other.post(f"/api/v1/grants/{wider.json()['id']}/approve")
    assert refused.status_code == 403
    assert "account_admin for '*'" in refused.json()["error"]["message"]
    assert client.post(f"/api/v1/grants/{wider.json()['id']}/approve").json()["state"] == "active"


def test_an_expiring_grant_cannot_be_handed_on_for_longer(
    client: TestClient, login_as: LoginAs, staff_factory: StaffFactory, clock: FixedClock
) -> None:
    temporary = staff_factory(None)
    until = clock.now() + timedelta(days=10)
    made = client.post(
        f"/api/v1/staff/{temporary.id}/grants",  # type: ignore[attr-defined]
        json={"role": "account_admin", "scope": "*", "expires_at": until.isoformat()},
    )
    assert made.json()["state"] == "active"
    acting = login_as(staff=temporary)
    friend = staff_factory(None)
    forever = acting.post(f"/api/v1/staff/{friend.id}/grants", json={"role": "account_admin", "scope": "*"})  # type: ignore[attr-defined]
    assert forever.json()["state"] == "pending"
    acting.delete(f"/api/v1/grants/{forever.json()['id']}")
    bounded = acting.post(
        f"/api/v1/staff/{friend.id}/grants",  # type: ignore[attr-defined]
        json={"role": "account_admin", "scope": "*", "expires_at": until.isoformat()},
    )
    assert bounded.json()["state"] == "active"


def test_an_api_token_never_goes_beyond_its_owner_nor_approves(
    login_as: LoginAs, client: TestClient, staff_factory: StaffFactory
) -> None:
    member = staff_factory(None)
    staff_id = member.id  # type: ignore[attr-defined]
    admin = login_as("account_admin")
    grant_id = admin.post(f"/api/v1/staff/{staff_id}/grants", json={"role": "dpo", "scope": "*"}).json()["id"]
    # A proposal lends the grantee nothing to put in a token.
    waiting = login_as(staff=member)
    token = waiting.post("/api/v1/tokens", json={"name": "sync", "permissions": ["register.read"], "scope": "custos"})
    assert token.status_code == 403
    # A DPO's token carrying staff.manage still cannot be the second pair of eyes: approving takes a person.
    made = client.post("/api/v1/tokens", json={"name": "hr", "permissions": ["staff.manage"], "scope": "*"})
    bearer = {"Authorization": f"Bearer {made.json()['token']}"}
    refused = TestClient(client.app).post(f"/api/v1/grants/{grant_id}/approve", headers=bearer)
    assert refused.status_code == 403
    assert "token" in refused.json()["error"]["message"]
    # Nor can a token hand on, at once, what it does not carry.
    via_token = TestClient(client.app).post(
        f"/api/v1/staff/{staff_id}/grants", json={"role": "account_admin", "scope": "*"}, headers=bearer
    )
    assert via_token.json()["state"] == "pending"


def test_self_approval_and_approval_without_the_role_are_refused(
    login_as: LoginAs, staff_factory: StaffFactory, client: TestClient
) -> None:
    # A DPO who is also proposed for a further grant cannot approve it for themselves.
    dpo = staff_factory("dpo")
    dpo_client = login_as(staff=dpo)
    admin = login_as("account_admin")
    to_dpo = admin.post(f"/api/v1/staff/{dpo.id}/grants", json={"role": "privacy_officer", "scope": "custos"})  # type: ignore[attr-defined]
    own = dpo_client.post(f"/api/v1/grants/{to_dpo.json()['id']}/approve")
    assert own.status_code == 403
    assert "yourself" in own.json()["error"]["message"]
    # A second account admin (not the proposer) holds no personal data, so cannot approve it.
    member = staff_factory(None)
    proposal = admin.post(f"/api/v1/staff/{member.id}/grants", json={"role": "privacy_officer", "scope": "custos"})  # type: ignore[attr-defined]
    second_admin = login_as("account_admin")
    refused = second_admin.post(f"/api/v1/grants/{proposal.json()['id']}/approve")
    assert refused.status_code == 403
    assert "register.read" in refused.json()["error"]["message"]
    # A privacy officer for `custos` holds the role but cannot manage staff: the route refuses.
    officer = login_as("privacy_officer", "custos")
    assert officer.post(f"/api/v1/grants/{proposal.json()['id']}/approve").status_code == 403
    member_client = login_as(staff=member)
    assert member_client.get("/api/v1/people").status_code == 403
    assert client.post(f"/api/v1/grants/{proposal.json()['id']}/approve").status_code == 200
    assert member_client.get("/api/v1/people").status_code == 200  # at once, in the same session


def test_a_proposal_lapses_after_a_week_and_a_rejected_one_gives_nothing(
    login_as: LoginAs, client: TestClient, staff_factory: StaffFactory, clock: FixedClock
) -> None:
    admin = login_as("account_admin")
    member = staff_factory(None)
    staff_id = member.id  # type: ignore[attr-defined]
    first = admin.post(f"/api/v1/staff/{staff_id}/grants", json={"role": "privacy_officer", "scope": "custos"})
    pending = client.get("/api/v1/grants/pending").json()
    assert [g["id"] for g in pending] == [first.json()["id"]]
    clock.advance(timedelta(days=7))
    dpo, admin = login_as("dpo"), login_as("account_admin")  # the earlier sessions have ended meanwhile
    lapsed = dpo.post(f"/api/v1/grants/{first.json()['id']}/approve")
    assert lapsed.status_code == 409
    assert "lapsed" in lapsed.json()["error"]["message"]
    assert dpo.get("/api/v1/grants/pending").json() == []
    again = admin.post(f"/api/v1/staff/{staff_id}/grants", json={"role": "privacy_officer", "scope": "custos"})
    assert again.status_code == 201  # a lapsed proposal does not block a new one
    rejected = dpo.post(f"/api/v1/grants/{again.json()['id']}/reject")
    assert rejected.json()["state"] == "rejected"
    assert dpo.post(f"/api/v1/grants/{again.json()['id']}/approve").status_code == 409
    assert login_as(staff=member).get("/api/v1/people").status_code == 403
    history = dpo.get(f"/api/v1/staff/{staff_id}/grants", params={"include_ended": True}).json()
    assert [g["state"] for g in history] == ["lapsed", "rejected"]


def test_the_live_check_finds_grants_written_past_the_services(runtime: Runtime, clock: FixedClock) -> None:
    now = clock.now()
    with runtime.db.transaction() as session:
        # A fresh install: the first administrator's grant is the one recorded exception.
        assert grant_breaches(session, runtime.policy, now) == []
        admin = Staff(email="ola@elastx.se", name="Ola", password_hash="x", created_at=now)
        reader = Staff(email="eva@elastx.se", name="Eva", password_hash="x", created_at=now)
        session.add_all([admin, reader])
        session.flush()
        session.add(
            Grant(staff_id=admin.id, role="account_admin", scope="custos", granted_at=now, approval="bootstrap")
        )
        # Written in SQL as if the account admin had given it at once: reaches personal data, and beyond him.
        session.add(
            Grant(
                staff_id=reader.id,
                role="dpo",
                scope="*",
                granted_by_id=admin.id,
                granted_at=now,
                approval="not_required",
            )
        )
        # "Approved" by its own proposer.
        session.add(
            Grant(
                staff_id=reader.id,
                role="privacy_officer",
                scope="custos",
                granted_by_id=admin.id,
                granted_at=now,
                approval="required",
                decided_by_id=admin.id,
                decided_at=now,
            )
        )
        session.flush()
        found = sorted((b.rule, b.role) for b in grant_breaches(session, runtime.policy, now))
    assert found == [
        ("beyond_granter", "account_admin"),  # marked as the first administrator's grant, but nobody gave it
        ("beyond_granter", "dpo"),
        ("beyond_granter", "privacy_officer"),
        ("unapproved", "dpo"),
        ("unapproved", "privacy_officer"),
    ]
