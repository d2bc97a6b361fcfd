"""Four eyes in a real browser, the issue-13 walk-around turned round: an account admin adds a member and
proposes `dpo` for them; the member sets up their account and still cannot open the register; the first
administrator (dpo) approves on the staff page; from then on the member can."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyotp
from admin_steps import log_in, screenshot, watch_console
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from custos.access.models import Staff
from custos.access.passwords import hash_password
from custos.clock import FixedClock
from custos.runtime import Runtime
from custos.setup import FIRST_ADMIN_EMAIL

StaffFactory = Callable[..., Any]
PASSWORD = "the first administrator's own passphrase"


@dataclass(frozen=True)
class Login:
    email: str
    password: str
    totp: pyotp.TOTP

    def code(self, at: datetime) -> str:
        return self.totp.at(at)


def _first_admin(runtime: Runtime, clock: FixedClock) -> Login:
    """The first administrator from `custos init`, as after their own first login (password, authenticator)."""
    secret = pyotp.random_base32()
    with runtime.db.transaction() as session:
        admin = session.scalar(select(Staff).where(Staff.email == FIRST_ADMIN_EMAIL))
        assert admin is not None
        admin.password_hash = hash_password(PASSWORD)
        admin.must_change_password = False
        admin.totp_secret = secret
        admin.totp_enabled_at = clock.now()
    return Login(FIRST_ADMIN_EMAIL, PASSWORD, pyotp.TOTP(secret))


def _new_page(browser: Browser) -> Page:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    return context.new_page()


def _set_up_account(page: Page, server: str, email: str, password: str, clock: FixedClock) -> None:
    """The new member's first login: the one-time password, a password of their own, an authenticator."""
    page.goto(server + "/admin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/admin/account/password$"))
    page.get_by_label("Current password").fill(password)
    page.get_by_label("New password", exact=True).fill("a long and private passphrase")
    page.get_by_label("New password again").fill("a long and private passphrase")
    page.get_by_role("button", name="Change password").click()
    page.get_by_role("button", name="Set up an authenticator app").click()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).at(clock.now()))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("link", name="Continue to the dashboard").click()
    expect(page).to_have_url(server + "/admin")


def test_a_proposed_dpo_reads_nobody_until_the_first_administrator_approves(
    page: Page, browser: Browser, live_server: str, staff_factory: StaffFactory, runtime: Runtime, clock: FixedClock
) -> None:
    errors = watch_console(page)
    # The account admin adds Maja and proposes dpo for everything, as the attacker in the issue did.
    log_in(page, live_server, staff_factory("account_admin", "custos"), clock, "/admin/staff")
    page.get_by_label("Name").fill("Maja Ek")
    page.get_by_label("Email").fill("maja@elastx.se")
    page.get_by_role("button", name="Add", exact=True).click()
    password = page.locator("#one-time-password").inner_text()
    page.get_by_role("link", name="Open Maja Ek").click()
    page.get_by_label("Role", exact=True).select_option("dpo")
    page.get_by_label("Scope", exact=True).select_option("*")
    page.get_by_role("button", name="Grant", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("waiting for approval")
    pending = page.locator("#pending-grants")
    expect(pending).to_contain_text("Waiting for approval by a member who holds dpo for *.")
    expect(pending.get_by_role("button", name=re.compile("^Approve"))).to_have_count(0)
    screenshot(page, "staff_waiting_for_approval")

    # Maja (or whoever holds her one-time password) sets the account up, and still reads nobody.
    maja = _new_page(browser)
    _set_up_account(maja, live_server, "maja@elastx.se", password, clock)
    refused = maja.goto(live_server + "/admin/people")
    assert refused is not None
    assert refused.status == 403

    # The first administrator approves it on the staff page.
    first = _new_page(browser)
    log_in(first, live_server, _first_admin(runtime, clock), clock, "/admin/staff")
    first.get_by_role("button", name="Approve dpo for * for Maja Ek").click()
    expect(first.get_by_role("status")).to_have_text("The grant is approved and in force from now.")
    expect(first.locator("#pending-grants")).to_have_count(0)
    screenshot(first, "staff_approved")

    # From now on Maja can.
    allowed = maja.goto(live_server + "/admin/people")
    assert allowed is not None
    assert allowed.status == 200
    expect(maja.get_by_role("navigation", name="Areas").get_by_role("link", name="People")).to_be_visible()
    assert errors == []
