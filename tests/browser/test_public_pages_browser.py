"""The public pages in chromium, by keyboard where a person would type: the /rights form sent empty shows each
problem in words next to its field (and focus on the summary), then a valid request goes through; a visitor who
accepted cookies on the demo page reads their consent records as a page. axe-core finds nothing serious."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from admin_steps import serious_violations
from playwright.sync_api import Browser, Page, expect

TIMEOUT_MS = 15_000


@pytest.fixture
def visitor(browser: Browser) -> Iterator[Page]:
    # axe is injected by the test (the pages' CSP rightly refuses scripts from elsewhere).
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_the_rights_form_says_what_is_missing_next_to_each_field_then_sends(visitor: Page, live_server: str) -> None:
    page = visitor
    page.goto(f"{live_server}/rights?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your rights over your personal data")
    assert serious_violations(page) == []
    # Straight to the button by keyboard, nothing filled in.
    page.get_by_role("button", name="Send the request").focus()
    page.keyboard.press("Enter")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("The request could not be sent")
    expect(summary).to_be_focused()
    expect(page.locator("#f-kind-error")).to_have_text("Choose what you want to do.")
    expect(page.locator("#f-email-error")).to_contain_text("Write your email address")
    email = page.get_by_label("Your email address")
    expect(email).to_have_attribute("aria-invalid", "true")
    assert serious_violations(page) == []
    # A correction needs its details: said next to that field too.
    page.get_by_label("Correct my data").check()
    email.fill("kim@example.com")
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator("#f-details-error")).to_have_text("Write what is wrong and what it should say instead.")
    expect(page.locator("#f-email-error")).to_have_count(0)
    expect(page.locator("#f-kind-error")).to_have_count(0)
    # The summary's link takes the keyboard to the field.
    page.get_by_role("alert").get_by_role("link", name="Details").click()
    details = page.get_by_label("Details")
    expect(details).to_be_focused()
    details.fill("My title is wrong: it should say CTO.")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your request is received")


def test_a_visitor_reads_their_consent_records_as_a_page(visitor: Page, live_server: str) -> None:
    page = visitor
    page.goto(f"{live_server}/consent/demo?lang=en")
    dialog = page.get_by_role("dialog", name="Cookies on this website")
    with page.expect_response(lambda r: r.url.endswith("/consent/records") and r.request.method == "POST"):
        dialog.get_by_role("button", name="Accept all").click()
    page.goto(f"{live_server}/consent/records/me?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your cookie choices")
    record = page.get_by_role("article", name="Choice of")
    expect(record).to_have_count(1)
    expect(record).to_contain_text("Consent")
    expect(record).to_contain_text("Analytics: allowed")
    expect(record).to_contain_text("the banner's first layer")
    expect(record).to_contain_text("Privacy notice version")
    expect(record).to_contain_text("Valid until")
    assert serious_violations(page) == []
    page.get_by_role("link", name="På svenska").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dina val om kakor")
    expect(page.get_by_role("article")).to_contain_text("Analys: tillåtet")
    assert serious_violations(page) == []
    page.get_by_role("link", name="Samma uppgifter som JSON").click()
    assert '"kind":"consent"' in page.content()
