"""The authenticator's enrolment page shows a QR code of the otpauth URI (an inline SVG the CSP allows, with a
text alternative) beside the secret for typing in; the recovery codes page offers copy, download and print,
works without JavaScript, and keeps the codes nowhere but the page it shows once."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pyotp
from fastapi.testclient import TestClient

from custos.app import create_app
from custos.clock import FixedClock
from custos.runtime import Runtime
from custos.settings import Settings
from custos.web.admin.account import qr_svg

StaffFactory = Callable[..., Any]


def _csrf(page_html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page_html)
    assert found is not None
    return found.group(1)


def _enrolling(web: TestClient, member: Any) -> str:
    """Log in as a member without an authenticator and start the enrolment; the page's HTML."""
    page = web.get("/admin/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
    assert token is not None
    form = {"login_csrf": token.group(1), "next": "/admin", "email": member.email, "password": member.password}
    assert web.post("/admin/login", data=form, follow_redirects=False).headers["location"] == "/admin/account/totp"
    start = web.post("/admin/account/totp/start", data={"csrf_token": _csrf(web.get("/admin/account/totp").text)})
    assert start.status_code == 200
    return start.text


def test_enrolment_shows_a_qr_code_of_the_uri_and_the_secret_to_type(
    settings: Settings, runtime: Runtime, staff_factory: StaffFactory
) -> None:
    member = staff_factory("auditor", totp=False)
    with TestClient(create_app(settings, runtime=runtime)) as web:
        page = _enrolling(web, member)
        uri = re.search(r'id="totp-uri">([^<]+)<', page)
        assert uri is not None
        shown_uri = html.unescape(uri.group(1))
        svg = re.search(r"<svg[^>]*>.*?</svg>", page, re.S)
        assert svg is not None
        # The QR code is of exactly the URI shown in text (the same secret), drawn the same way every time.
        assert svg.group(0) == str(qr_svg(shown_uri, "totp-qr-caption"))
        assert 'role="img"' in svg.group(0)
        assert 'aria-labelledby="totp-qr-caption"' in svg.group(0)
        assert '<figcaption id="totp-qr-caption">QR code of the link below' in page
        # The page's CSP forbids inline styles and scripts: none in the page, the SVG included.
        assert "style=" not in page
        assert "<style" not in page
        assert re.search(r"<script(?![^>]*\bsrc=)", page) is None
        secret = re.search(r'id="totp-secret">([^<]+)<', page)
        assert secret is not None
        assert f"secret={secret.group(1).replace(' ', '')}" in shown_uri
        assert "scan this QR code" in page
        assert "If you cannot scan it, type in the secret key" in page


def test_the_swedish_enrolment_page_says_the_same(
    settings: Settings, runtime: Runtime, staff_factory: StaffFactory
) -> None:
    member = staff_factory("auditor", totp=False)
    with TestClient(create_app(settings, runtime=runtime)) as web:
        web.cookies.set("custos_lang", "sv")
        page = _enrolling(web, member)
        assert "skanna den här QR-koden" in page
        assert '<figcaption id="totp-qr-caption">QR-kod för länken nedan' in page


def test_recovery_codes_can_be_copied_downloaded_and_printed_and_are_kept_nowhere_else(
    settings: Settings, runtime: Runtime, staff_factory: StaffFactory, clock: FixedClock
) -> None:
    member = staff_factory("auditor", totp=False)
    with TestClient(create_app(settings, runtime=runtime)) as web:
        page = _enrolling(web, member)
        secret = re.search(r'id="totp-secret">([^<]+)<', page)
        assert secret is not None
        code = pyotp.TOTP(secret.group(1).replace(" ", "")).at(clock.now())
        shown = web.post("/admin/account/totp/confirm", data={"csrf_token": _csrf(page), "code": code})
        assert shown.status_code == 200
        codes = re.findall(r"<li><code>([a-z0-9-]{19})</code></li>", shown.text)
        assert len(codes) == 10
        assert shown.headers["cache-control"] == "no-store"
        # The tools appear only with the script (hidden otherwise); without it the page says what to do by hand.
        assert re.search(r'<div class="codes-tools" id="codes-tools" hidden', shown.text)
        for button in ("Copy the codes", "Download as a text file", "Print the codes"):
            assert f">{button}</button>" in shown.text
        assert '<script src="/static/recovery_codes.js" defer></script>' in shown.text
        assert '<p class="meta" id="codes-by-hand">Select the codes and copy them' in shown.text
        assert 'class="codes-sheet"' in shown.text
        assert f"Custos recovery codes for {member.email}" in shown.text
        # The download is made in the browser from the page; the script is a static file with no codes in it.
        script = web.get("/static/recovery_codes.js")
        assert script.status_code == 200
        assert "Blob" in script.text
        assert not any(c in script.text for c in codes)
        # Shown once: the account page afterwards does not show them again.
        again = web.get("/admin/account/totp")
        assert not any(c in again.text for c in codes)
