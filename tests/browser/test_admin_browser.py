"""The admin UI in a real browser, as a person uses it: logging in with a password and an authenticator code,
a page refused for a role without the grant, the audit entry a page view leaves, the Swedish pages, the
keyboard's first stop, and the same work with JavaScript turned off."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from admin_steps import log_in, screenshot, watch_console
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from custos.clock import FixedClock

StaffFactory = Callable[..., Any]
ANNA = {
    "name": "Anna Lindqvist",
    "title": "CTO",
    "emails": ["anna@example.se"],
    "phones": ["+46 70 123 45 67"],
    "relationships": [{"subject_category": "prospect", "source": "Cloud fair Stockholm 2025"}],
}


def _add_anna(client: TestClient) -> str:
    response = client.post("/api/v1/people", json=ANNA)
    assert response.status_code == 201, response.text
    return str(response.json()["ref"])


def test_a_dpo_logs_in_with_password_and_code_and_sees_the_dashboard(
    page: Page, live_server: str, staff_factory: StaffFactory, clock: FixedClock
) -> None:
    member = staff_factory("dpo")
    log_in(page, live_server, member, clock)
    expect(page).to_have_url(live_server + "/admin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Test dpo")
    areas = page.get_by_role("navigation", name="Areas")
    for area in ("Dashboard", "People", "Staff", "Access review", "Audit log"):
        expect(areas.get_by_role("link", name=area)).to_be_visible()
    expect(page.locator("#count-staff")).to_have_text("2")  # the first administrator and this DPO
    screenshot(page, "dashboard")


def test_an_auditor_opening_a_person_page_gets_the_403_page(
    page: Page, live_server: str, staff_factory: StaffFactory, clock: FixedClock, client: TestClient
) -> None:
    ref = _add_anna(client)
    log_in(page, live_server, staff_factory("auditor"), clock)
    expect(page.get_by_role("navigation", name="Areas").get_by_role("link")).to_have_count(4)  # + incidents, records
    response = page.goto(f"{live_server}/admin/people/{ref}")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You do not have access to this page")
    expect(page.get_by_text("Anna")).to_have_count(0)


def test_a_person_page_view_shows_up_in_the_audit_log(
    page: Page, live_server: str, staff_factory: StaffFactory, clock: FixedClock, client: TestClient
) -> None:
    ref = _add_anna(client)
    console_errors = watch_console(page)  # e.g. the content security policy refusing something htmx needs
    log_in(page, live_server, staff_factory("dpo"), clock)
    page.get_by_role("navigation", name="Areas").get_by_role("link", name="People").click()
    page.get_by_label("Search").fill("anna@example.se")
    page.get_by_role("button", name="Show").click()
    page.locator("main table").get_by_role("link", name="Anna Lindqvist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anna Lindqvist")
    page.goto(f"{live_server}/admin/people/{ref}")
    expect(page.get_by_text("This view has been recorded in the audit log.")).to_be_visible()
    screenshot(page, "person")
    page.get_by_role("link", name="Audit history of this person").click()
    page.evaluate("window.sameDocument = true")  # gone after a full page load, kept by an htmx swap
    page.get_by_label("Action").fill("person.read")
    page.get_by_role("button", name="Filter").click()
    # htmx swaps the results and keeps the address in step, so the filtered view can be bookmarked.
    expect(page).to_have_url(re.compile(r"action=person\.read"))
    assert page.evaluate("window.sameDocument") is True
    rows = page.locator("#audit-results tbody tr")
    expect(rows).to_have_count(2)  # the page opened from the search, then opened again (newest first)
    expect(rows.nth(1)).to_contain_text(ref)
    expect(rows.nth(1)).to_contain_text("127.0.0.1")
    screenshot(page, "audit")
    assert console_errors == []


def test_the_language_switch_shows_the_pages_in_swedish(
    page: Page, live_server: str, staff_factory: StaffFactory, clock: FixedClock
) -> None:
    member = staff_factory("auditor")
    page.goto(live_server + "/admin/login")
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in i Custos")
    page.get_by_label("E-post").fill(member.email)
    page.get_by_label("Lösenord").fill(member.password)
    page.get_by_label("Kod från din autentiseringsapp").fill(member.code(clock.now()))
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("navigation", name="Områden").get_by_role("link", name="Granskningslogg")).to_be_visible()
    page.get_by_role("navigation", name="Språk").get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_the_skip_link_is_the_first_tab_stop(
    page: Page, live_server: str, staff_factory: StaffFactory, clock: FixedClock
) -> None:
    log_in(page, live_server, staff_factory("dpo"), clock)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("Skip to the content")
    expect(focused).to_be_in_viewport()  # hidden until focused, then visible
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is in the content, past the navigation: the first dashboard panel
    expect(page.locator(":focus")).to_have_text(re.compile("Data subject requests by days left"))


def test_everything_works_with_javascript_turned_off(
    page_without_javascript: Page, live_server: str, staff_factory: StaffFactory, clock: FixedClock, client: TestClient
) -> None:
    ref = _add_anna(client)
    page = page_without_javascript
    log_in(page, live_server, staff_factory("dpo"), clock)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Test dpo")
    page.goto(f"{live_server}/admin/people/{ref}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anna Lindqvist")
    page.goto(f"{live_server}/admin/audit")
    page.get_by_label("Action").fill("person.read")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"action=person\.read"))
    expect(page.locator("#audit-results tbody tr")).to_have_count(1)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
