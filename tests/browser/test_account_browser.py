"""First use in a real browser: enrolling the authenticator from its QR code and keeping the recovery codes
(copy, download, print), focus on the error after a failed login, and on the first switch after "Settings" in
the cookie banner — keyboard only where it matters, axe-clean."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from admin_steps import screenshot, serious_violations, watch_console
from playwright.sync_api import Browser, Page, expect

from conftest import TIMEOUT_MS
from custos.clock import FixedClock


@pytest.fixture
def checked_page(browser: Browser) -> Iterator[Page]:
    """A page that axe-core can run on (bypass_csp) and that may use the clipboard, as a person allows."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_enrol_from_the_qr_code_and_keep_the_recovery_codes(
    checked_page: Page, live_server: str, staff_factory: Any, clock: FixedClock, tmp_path: Path
) -> None:
    page = checked_page
    errors = watch_console(page)
    member = staff_factory("auditor", totp=False)
    page.goto(live_server + "/admin/login")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(member.password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/admin/account/totp$"))
    page.get_by_role("button", name="Set up an authenticator app").click()
    qr = page.get_by_role("img", name=re.compile("QR code of the link below"))
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None
    assert box["width"] >= 150  # big enough for a phone's camera
    screenshot(page, "account-totp")
    assert serious_violations(page) == []
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    assert f"secret={secret}" in page.locator("#totp-uri").inner_text()
    page.get_by_role("textbox", name="Code from the app").fill(pyotp.TOTP(secret).at(clock.now()))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = [c.strip() for c in page.locator("#recovery-codes code").all_inner_texts()]
    assert len(codes) == 10

    expect(page.locator("#codes-by-hand")).to_be_hidden()  # the buttons replace the note
    page.get_by_role("button", name="Copy the codes").click()
    expect(page.locator("#codes-status")).to_have_text(re.compile("The codes are copied"))
    assert page.evaluate("navigator.clipboard.readText()").split() == codes

    with page.expect_download() as started:
        page.get_by_role("button", name="Download as a text file").click()
    download = started.value
    assert download.suggested_filename == "custos-recovery-codes.txt"
    saved = tmp_path / "codes.txt"
    download.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert text.startswith(f"Custos recovery codes for {member.email}")
    assert text.split()[-10:] == codes
    expect(page.locator("#codes-status")).to_have_text(re.compile("custos-recovery-codes.txt"))

    # The printout holds the codes and what they are, and nothing else of the page.
    page.emulate_media(media="print")
    expect(page.locator("#recovery-codes")).to_be_visible()
    expect(page.get_by_text(f"Custos recovery codes for {member.email}")).to_be_visible()
    expect(page.locator("header.bar")).to_be_hidden()
    expect(page.get_by_role("button", name="Print the codes")).to_be_hidden()
    expect(page.get_by_role("link", name="Continue to the dashboard")).to_be_hidden()
    page.emulate_media(media="screen")
    assert serious_violations(page) == []
    assert errors == []


def test_without_javascript_the_codes_page_says_how_to_keep_them(
    page_without_javascript: Page, live_server: str, staff_factory: Any, clock: FixedClock
) -> None:
    page = page_without_javascript
    member = staff_factory("auditor", totp=False)
    page.goto(live_server + "/admin/login")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(member.password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_role("textbox", name="Code from the app").fill(pyotp.TOTP(secret).at(clock.now()))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Select the codes and copy them into your password manager")).to_be_visible()
    expect(page.get_by_role("button", name="Copy the codes")).to_be_hidden()


def test_after_a_failed_login_focus_is_on_the_error(checked_page: Page, live_server: str, staff_factory: Any) -> None:
    page = checked_page
    member = staff_factory("auditor")
    page.goto(live_server + "/admin/login")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_label("Password").press("Enter")
    error = page.get_by_role("alert")
    expect(error).to_contain_text("Login failed")
    expect(error).to_be_focused()
    # From the error, the keyboard goes on to the form: the email field, still filled in.
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email")).to_be_focused()
    expect(page.get_by_label("Email")).to_have_value(member.email)
    assert serious_violations(page) == []


def test_settings_in_the_banner_moves_focus_to_the_first_switch(checked_page: Page, live_server: str) -> None:
    page = checked_page
    page.goto(f"{live_server}/consent/demo?lang=en")
    dialog = page.get_by_role("dialog", name="Cookies on this website")
    expect(dialog).to_be_focused()
    for _ in range(12):
        if page.evaluate("document.activeElement.textContent") == "Settings":
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    switch = dialog.get_by_role("switch", name="Analytics")
    expect(switch).to_be_focused()
    expect(switch).not_to_be_checked()
    page.keyboard.press("Space")
    expect(switch).to_be_checked()
