"""Staff login as a user meets it: password + TOTP, the first admin's first login, lockout, session expiry,
logout everywhere and CSRF — with real argon2 hashes and real TOTP codes at the fixed clock time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select

from custos.app import create_app
from custos.audit import AuditEvent
from custos.clock import FixedClock
from custos.runtime import Runtime, open_runtime
from custos.settings import Settings
from custos.setup import initialise

StaffFactory = Callable[..., Any]


def _login(client: TestClient, member: Any, code: str | None) -> Any:
    body = {"email": member.email, "password": member.password}
    if code is not None:
        body["code"] = code
    return client.post("/api/v1/auth/login", json=body)


def _actions(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.db.transaction() as session:
        return [(e.action, e.outcome) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]


def test_first_admin_changes_password_and_enrols_totp_before_seeing_personal_data(
    settings: Settings, clock: FixedClock
) -> None:
    first = initialise(settings, clock)
    assert first.first_admin is not None
    runtime = open_runtime(settings, clock)
    try:
        with TestClient(create_app(settings, runtime=runtime)) as web:
            login = web.post(
                "/api/v1/auth/login", json={"email": first.first_admin.email, "password": first.first_admin.password}
            )
            assert login.status_code == 200, login.text
            assert login.json()["next_steps"] == ["change_password", "enrol_totp"]
            web.headers["X-CSRF-Token"] = login.json()["csrf_token"]
            denied = web.get("/api/v1/people")
            assert (denied.status_code, denied.json()["error"]["code"]) == (403, "password_change_required")
            new_password = "a much longer passphrase"
            changed = web.post(
                "/api/v1/auth/password",
                json={"current_password": first.first_admin.password, "new_password": new_password},
            )
            assert changed.status_code == 204, changed.text
            assert web.get("/api/v1/people").json()["error"]["code"] == "mfa_required"
            secret = web.post("/api/v1/auth/totp/enrol").json()["secret"]
            wrong = web.post("/api/v1/auth/totp/confirm", json={"code": "000000"})
            assert wrong.status_code == 422
            codes = web.post("/api/v1/auth/totp/confirm", json={"code": pyotp.TOTP(secret).at(clock.now())})
            assert len(codes.json()["recovery_codes"]) == 10
            assert web.get("/api/v1/people").status_code == 200  # the enrolment proved the second factor
            assert web.get("/api/v1/staff").status_code == 200  # the first admin holds dpo for everything
            me = web.get("/api/v1/auth/me").json()
            assert me["next_steps"] == []
            assert me["second_factor"] is True
    finally:
        runtime.close()


def test_cookie_is_httponly_strict_and_secure_over_https(
    settings: Settings, runtime: Runtime, clock: FixedClock, staff_factory: StaffFactory
) -> None:
    member = staff_factory("dpo")
    with TestClient(create_app(settings, runtime=runtime), base_url="https://custos.test") as web:
        response = _login(web, member, member.code(clock.now()))
    assert response.status_code == 200
    session_cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("custos_session="))
    attributes = {part.strip().lower() for part in session_cookie.split(";")}
    assert {"httponly", "samesite=strict", "secure"} <= attributes
    with TestClient(create_app(settings, runtime=runtime)) as plain:
        clock.advance(timedelta(seconds=30))
        cookie = next(c for c in _login(plain, member, member.code(clock.now())).headers.get_list("set-cookie"))
    assert "secure" not in cookie.lower()


def test_a_code_is_required_once_enrolled_and_is_used_only_once(
    anonymous_client: TestClient, clock: FixedClock, staff_factory: StaffFactory, runtime: Runtime
) -> None:
    member = staff_factory("dpo")
    assert _login(anonymous_client, member, None).status_code == 401
    code = member.code(clock.now())
    assert _login(anonymous_client, member, code).status_code == 200
    replay = _login(anonymous_client, member, code)
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "unauthenticated"
    assert ("auth.mfa_failed", "failed") in _actions(runtime)
    assert ("auth.login", "ok") in _actions(runtime)


def test_recovery_codes_work_once_each(
    settings: Settings, runtime: Runtime, login_as: Callable[..., TestClient]
) -> None:
    web = login_as("dpo")
    codes = web.post("/api/v1/auth/recovery-codes").json()["recovery_codes"]
    email = web.get("/api/v1/auth/me").json()["staff"]["email"]
    with TestClient(create_app(settings, runtime=runtime)) as other:
        body = {"email": email, "password": "correct horse battery staple", "code": codes[0].upper()}
        assert other.post("/api/v1/auth/login", json=body).status_code == 200
        assert other.post("/api/v1/auth/login", json=body).status_code == 401
    assert ("auth.recovery_code_used", "ok") in _actions(runtime)


def test_five_failures_lock_the_account_for_fifteen_minutes(
    anonymous_client: TestClient, clock: FixedClock, staff_factory: StaffFactory, runtime: Runtime
) -> None:
    member = staff_factory("dpo")
    for _ in range(5):
        wrong = anonymous_client.post("/api/v1/auth/login", json={"email": member.email, "password": "wrong guess!"})
        assert wrong.status_code == 401
    clock.advance(timedelta(seconds=30))
    locked = _login(anonymous_client, member, member.code(clock.now()))
    assert locked.status_code == 401  # the right password and code do not help while locked
    assert ("auth.lockout", "ok") in _actions(runtime)
    clock.advance(timedelta(minutes=15))
    assert _login(anonymous_client, member, member.code(clock.now())).status_code == 200


def test_sessions_end_after_30_idle_minutes_and_12_hours(
    login_as: Callable[..., TestClient], clock: FixedClock
) -> None:
    web = login_as("dpo")
    for _ in range(28):  # active for 11 h 40 min: the idle timer keeps restarting...
        clock.advance(timedelta(minutes=25))
        assert web.get("/api/v1/auth/me").status_code == 200
    clock.advance(timedelta(minutes=25))  # ...but 12 h after login it is over
    assert web.get("/api/v1/auth/me").status_code == 401
    idle = login_as("dpo")
    clock.advance(timedelta(minutes=30))
    ended = idle.get("/api/v1/people")
    assert ended.status_code == 401
    assert "log in again" in ended.json()["error"]["message"]


def test_logout_and_logout_everywhere(
    settings: Settings,
    runtime: Runtime,
    clock: FixedClock,
    staff_factory: StaffFactory,
    login_as: Callable[..., TestClient],
) -> None:
    member = staff_factory("dpo")
    laptop = login_as(staff=member)
    clock.advance(timedelta(seconds=30))
    phone = login_as(staff=member)
    clock.advance(timedelta(seconds=30))
    desk = login_as(staff=member)
    assert laptop.post("/api/v1/auth/logout").status_code == 204
    assert laptop.get("/api/v1/auth/me").status_code == 401
    assert phone.get("/api/v1/auth/me").status_code == 200
    assert phone.post("/api/v1/auth/logout-everywhere").json() == {"sessions_ended": 2}
    assert phone.get("/api/v1/auth/me").status_code == 401
    assert desk.get("/api/v1/auth/me").status_code == 401


def test_cookie_requests_that_change_something_need_the_csrf_token(login_as: Callable[..., TestClient]) -> None:
    web = login_as("dpo")
    token = web.headers.pop("X-CSRF-Token")
    person = {"name": "Eva Sund", "emails": ["eva@moln.se"], "relationships": [{"subject_category": "prospect"}]}
    refused = web.post("/api/v1/people", json=person)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "csrf_rejected")
    assert web.post("/api/v1/people", json=person, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert web.get("/api/v1/people").json()["total"] == 0  # reads need no token, and nothing was added
    assert web.post("/api/v1/people", json=person, headers={"X-CSRF-Token": token}).status_code == 201


def test_unknown_and_disabled_accounts_fail_like_a_wrong_password(
    anonymous_client: TestClient, runtime: Runtime
) -> None:
    response = anonymous_client.post("/api/v1/auth/login", json={"email": "nobody@x.test", "password": "whatever"})
    assert response.status_code == 401
    assert response.json()["error"]["message"].startswith("Login failed")
    assert ("auth.login_failed", "failed") in _actions(runtime)
