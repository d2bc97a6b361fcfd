"""Logging in to the admin pages as a person does, with plain HTML forms (no JavaScript): password and code,
a recovery code, the first administrator's first login, logout and logout everywhere, and the login form's
own CSRF protection — real argon2 hashes and real TOTP codes at the fixed clock time."""

from __future__ import annotations

import re
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


def _login_form(web: TestClient, next_path: str | None = None) -> dict[str, str]:
    page = web.get("/admin/login", params={"next": next_path} if next_path else None)
    assert page.status_code == 200
    token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
    assert token is not None
    return {"login_csrf": token.group(1), "next": next_path or "/admin"}


def _log_in(web: TestClient, email: str, password: str, code: str = "", next_path: str | None = None) -> Any:
    form = _login_form(web, next_path) | {"email": email, "password": password, "code": code}
    return web.post("/admin/login", data=form, follow_redirects=False)


def _csrf(page_html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page_html)
    assert found is not None, "the page has a form with the session's CSRF token"
    return found.group(1)


def _actions(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.db.transaction() as session:
        return [(e.action, e.outcome) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]


def test_login_page_is_labelled_and_starts_with_a_skip_link(anonymous_client: TestClient) -> None:
    page = anonymous_client.get("/admin/login")
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert '<html lang="en">' in page.text
    body = page.text.split("<body", 1)[1]
    assert re.search(r"<a [^>]*href=\"#main\"", body).start() == body.index("<a ")  # type: ignore[union-attr]
    for field in ("email", "password", "code"):
        assert f'<label for="f-{field}">' in page.text
        assert f'id="f-{field}" name="{field}"' in page.text
    assert 'autocomplete="one-time-code"' in page.text


def test_password_and_code_open_the_dashboard(
    anonymous_client: TestClient, staff_factory: StaffFactory, clock: FixedClock, runtime: Runtime
) -> None:
    member = staff_factory("dpo")
    response = _log_in(anonymous_client, member.email, member.password, member.code(clock.now()))
    assert (response.status_code, response.headers["location"]) == (303, "/admin")
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("custos_session="))
    assert {"httponly", "samesite=strict"} <= {part.strip().lower() for part in cookie.split(";")}
    dashboard = anonymous_client.get("/admin")
    assert dashboard.status_code == 200
    assert 'id="count-people"' in dashboard.text
    assert ("auth.login", "ok") in _actions(runtime)


def test_a_wrong_code_fails_like_any_other_failure(
    anonymous_client: TestClient, staff_factory: StaffFactory, runtime: Runtime
) -> None:
    member = staff_factory("dpo")
    wrong_code = _log_in(anonymous_client, member.email, member.password, "000000")
    wrong_password = _log_in(anonymous_client, member.email, "not the password", "000000")
    assert wrong_code.status_code == wrong_password.status_code == 401
    assert "Login failed" in wrong_code.text
    assert wrong_code.text.count("Login failed") == wrong_password.text.count("Login failed")
    assert "custos_session=" not in wrong_code.headers.get("set-cookie", "")
    assert ("auth.mfa_failed", "failed") in _actions(runtime)


def test_the_login_form_refuses_a_post_without_its_own_token(
    anonymous_client: TestClient, staff_factory: StaffFactory, clock: FixedClock
) -> None:
    # Login CSRF: another site could post its own credentials to log the victim into the attacker's account.
    member = staff_factory("dpo")
    body = {"email": member.email, "password": member.password, "code": member.code(clock.now())}
    refused = anonymous_client.post("/admin/login", data=body | {"login_csrf": "forged"}, follow_redirects=False)
    assert refused.status_code == 400
    assert "had expired" in refused.text


def test_a_recovery_code_logs_in_once(
    login_as: Callable[..., TestClient], settings: Settings, runtime: Runtime, staff_factory: StaffFactory
) -> None:
    member = staff_factory("auditor")
    codes = login_as(staff=member).post("/api/v1/auth/recovery-codes").json()["recovery_codes"]
    with TestClient(create_app(settings, runtime=runtime)) as web:
        assert "recovery_code" not in web.get("/admin/login").text
        assert 'name="recovery" value="1"' in web.get("/admin/login?recovery=1").text
        assert _log_in(web, member.email, member.password, codes[0]).status_code == 303
    with TestClient(create_app(settings, runtime=runtime)) as again:
        assert _log_in(again, member.email, member.password, codes[0]).status_code == 401


def test_after_login_the_page_asked_for_opens_but_never_another_site(
    anonymous_client: TestClient, staff_factory: StaffFactory, clock: FixedClock
) -> None:
    first = anonymous_client.get("/admin/audit?action=auth.", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/admin/login?next=%2Fadmin%2Faudit%3Faction%3Dauth."
    member = staff_factory("auditor")
    back = _log_in(anonymous_client, member.email, member.password, member.code(clock.now()), "/admin/audit")
    assert back.headers["location"] == "/admin/audit"
    clock.advance(timedelta(seconds=30))
    away = _log_in(anonymous_client, member.email, member.password, member.code(clock.now()), "//evil.example/")
    assert away.headers["location"] == "/admin"


def test_first_administrator_changes_password_then_enrols_the_authenticator(
    settings: Settings, clock: FixedClock
) -> None:
    first = initialise(settings, clock).first_admin
    assert first is not None
    runtime = open_runtime(settings, clock)
    try:
        with TestClient(create_app(settings, runtime=runtime)) as web:
            login = _log_in(web, first.email, first.password)
            assert login.headers["location"] == "/admin/account/password"
            # Until both steps are done, every other page leads back to them.
            assert web.get("/admin/people", follow_redirects=False).headers["location"] == "/admin/account/password"
            page = web.get("/admin/account/password")
            assert "Step 1 of 2" in page.text
            assert 'class="areas"' not in page.text  # no navigation into areas the session cannot use yet
            token = _csrf(page.text)
            mismatch = {"current_password": first.password, "new_password": "a long passphrase here"}
            refused = web.post("/admin/account/password", data=mismatch | {"csrf_token": token})
            assert refused.status_code == 422
            assert 'aria-invalid="true"' in refused.text
            new = {"new_password": "a long passphrase here", "new_password_again": "a long passphrase here"}
            changed = web.post(
                "/admin/account/password",
                data={"current_password": first.password, "csrf_token": token} | new,
                follow_redirects=False,
            )
            assert changed.headers["location"] == "/admin/account/totp"
            assert web.get("/admin", follow_redirects=False).headers["location"] == "/admin/account/totp"
            start = web.post("/admin/account/totp/start", data={"csrf_token": token}, follow_redirects=False)
            assert start.headers["location"] == "/admin/account/totp"
            enrol = web.get("/admin/account/totp")
            assert "Step 2 of 2" in enrol.text
            uri = re.search(r'id="totp-uri">([^<]+)<', enrol.text)
            secret = re.search(r'id="totp-secret">([^<]+)<', enrol.text)
            assert uri is not None
            assert secret is not None
            assert uri.group(1).startswith("otpauth://totp/Custos:admin%40custos.local?secret=")
            plain_secret = secret.group(1).replace(" ", "")
            assert f"secret={plain_secret}" in uri.group(1)
            wrong = web.post("/admin/account/totp/confirm", data={"csrf_token": token, "code": "000000"})
            assert wrong.status_code == 422
            assert plain_secret in wrong.text.replace(" ", "")  # the same secret, to try the next code
            code = pyotp.TOTP(plain_secret).at(clock.now())
            codes = web.post("/admin/account/totp/confirm", data={"csrf_token": token, "code": code})
            assert codes.status_code == 200
            assert len(re.findall(r"<li><code>[a-z0-9-]{19}</code></li>", codes.text)) == 10
            dashboard = web.get("/admin")
            assert dashboard.status_code == 200
            assert 'href="/admin/staff"' in dashboard.text  # dpo for "*": every area
    finally:
        runtime.close()


def test_logout_and_logout_everywhere(
    settings: Settings, runtime: Runtime, staff_factory: StaffFactory, clock: FixedClock
) -> None:
    member = staff_factory("dpo")
    with (
        TestClient(create_app(settings, runtime=runtime)) as laptop,
        TestClient(create_app(settings, runtime=runtime)) as phone,
    ):
        assert _log_in(laptop, member.email, member.password, member.code(clock.now())).status_code == 303
        clock.advance(timedelta(seconds=30))
        assert _log_in(phone, member.email, member.password, member.code(clock.now())).status_code == 303
        token = _csrf(laptop.get("/admin").text)
        out = laptop.post("/admin/logout-everywhere", data={"csrf_token": token}, follow_redirects=False)
        assert out.headers["location"] == "/admin/login?bye=all"
        assert "logged out on every device" in laptop.get(out.headers["location"]).text
        assert phone.get("/admin", follow_redirects=False).headers["location"].startswith("/admin/login")
        clock.advance(timedelta(seconds=30))
        assert _log_in(phone, member.email, member.password, member.code(clock.now())).status_code == 303
        phone_token = _csrf(phone.get("/admin").text)
        assert phone.post("/admin/logout", data={"csrf_token": phone_token}, follow_redirects=False).status_code == 303
        assert phone.get("/admin", follow_redirects=False).status_code == 303
    assert ("auth.logout_everywhere", "ok") in _actions(runtime)
    assert ("auth.logout", "ok") in _actions(runtime)
