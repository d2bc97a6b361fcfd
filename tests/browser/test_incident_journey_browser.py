"""The breach journey in a real browser, through the admin UI only: a DPO opens an incident from the empty list
(aware time typed on the organisation's clock), adds a timeline entry and the facts, assesses a high risk,
decides to notify, reads the Art. 33(3) document in English and in Swedish, records the notification, sends the
Art. 34 letters after confirming how many people (caught by a real SMTP server) and closes the incident; axe-core
finds nothing serious on the pages of the way, and the console stays free of errors."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from admin_steps import axe_or_skip, log_in, screenshot, serious_violations, watch_console
from playwright.sync_api import Browser, Page, expect

from custos.actor import Actor
from custos.clock import FixedClock
from custos.register import organisations, people
from custos.register.schemas import OrganisationCreate, PersonCreate, RelationshipCreate, RoleSpan
from custos.runtime import Runtime
from custos.settings import Settings
from smtp_catch import CaughtMail

ACTOR = Actor.system("test")

StaffFactory = Callable[..., Any]
CONTACTS = (("Anna Andersson", "anna@acme.se"), ("Bo Berg", "bo@acme.se"))


@pytest.fixture
def settings(settings: Settings, smtp_server: CaughtMail) -> Settings:
    return smtp_server.settings_for(settings)


@pytest.fixture
def contacts(runtime: Runtime) -> None:
    """The scene: two contacts of a customer in the register, the people a CRM breach concerns."""
    with runtime.work(ACTOR) as work:
        acme = organisations.add_organisation(
            work, OrganisationCreate(name="Acme AB", roles=[RoleSpan(role="customer")])
        ).id
        for name, email in CONTACTS:
            relationship = RelationshipCreate(subject_category="customer_contact", organisation_id=acme)
            people.add_person(work, PersonCreate(name=name, emails=[email], relationships=[relationship]))


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # axe is the test's tool, not the page's: the admin's CSP would rightly refuse the injected script.
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _accessible(page: Page, name: str) -> None:
    assert serious_violations(page) == [], name
    screenshot(page, f"incident-{name}")


def test_a_dpo_walks_a_breach_from_opening_to_closing(
    page: Page,
    live_server: str,
    staff_factory: StaffFactory,
    clock: FixedClock,
    smtp_server: CaughtMail,
    contacts: None,
) -> None:
    axe_or_skip()
    console_errors = watch_console(page)
    log_in(page, live_server, staff_factory("dpo"), clock, path="/admin/incidents")
    expect(page.locator("#empty")).to_contain_text("No incidents have been recorded.")
    _accessible(page, "empty-list")

    # Open: what happened, when we became aware (on the clock in Stockholm), what is concerned, whose data.
    page.get_by_role("link", name="Open an incident").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open an incident")
    page.get_by_label("What happened").fill("A CRM export with customer contacts was mailed to the wrong customer")
    page.get_by_label("Reported by").fill("Support")
    page.get_by_label("confidentiality (disclosed or accessed)").check()
    page.get_by_label("Became aware at").fill("2026-11-29T09:15")
    page.get_by_label("CRM (production)").check()
    page.get_by_label("Name", exact=True).check()
    page.get_by_label("Email address", exact=True).check()
    page.get_by_label("Customer contacts", exact=True).check()
    expect(page.get_by_label("Ours — we are the controller")).to_be_checked()
    _accessible(page, "open-form")
    page.get_by_role("button", name="Open the incident").click()

    expect(page.locator("#done")).to_contain_text("The incident is open and its 72 hours are running.")
    aware = page.locator("dt", has_text="Aware since").locator("xpath=following-sibling::dd[1]")
    expect(aware).to_have_text("2026-11-29 09:15 +01:00")
    expect(page.locator("time.countdown-text")).to_have_text("70 h 15 min left")
    expect(page.locator("#deadline")).to_have_text("2026-12-02 09:15 +01:00")

    # A timeline entry, then the facts as they become known.
    page.get_by_label("Timeline entry").fill("The wrong customer confirmed by phone that the file is deleted.")
    page.get_by_role("button", name="Add to the timeline").click()
    expect(page.locator("ol.timeline")).to_contain_text("confirmed by phone that the file is deleted")
    page.get_by_text("Change the facts as they become known").click()
    facts = page.locator("#facts-form")
    facts.get_by_label("Likely consequences").fill("Phishing mails aimed at the contacts")
    facts.get_by_label("Measures taken").fill("The recipient deleted the file")
    facts.get_by_label("Measures planned or proposed").fill("Exports need a second person's approval")
    facts.get_by_role("button", name="Save the facts").click()
    expect(page.locator("#done")).to_contain_text("The facts are changed")
    page.get_by_text("Change the facts as they become known").click()
    page.get_by_role("button", name="Count the people in scope from the register").click()
    approx = page.locator("dt", has_text="Approximate numbers").locator("xpath=following-sibling::dd[1]")
    expect(approx).to_have_text("2 people, 2 records")

    # A high risk, with its reasoning; then the decision to notify the authority.
    risk = page.locator("#risk-form")
    risk.get_by_label("A high risk: notify the authority and tell the people").check()
    risk.get_by_label("Reasoning").fill("Names and work emails in the hands of another company: targeted phishing")
    risk.get_by_role("button", name="Assess the risk").click()
    expect(page.locator("#done")).to_contain_text("The risk is assessed.")
    decision = page.locator("#decision-form")
    decision.get_by_label("Notify the supervisory authority").check()
    decision.get_by_label("Reasoning").fill("A high risk to the contacts: the authority must be told (Art. 33(1))")
    decision.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#done")).to_contain_text("The decision is recorded")
    _accessible(page, "decided")

    # The Art. 33(3) document, in English, then in Swedish.
    page.get_by_role("link", name="The document in English").click()
    document = page.locator("#document")
    expect(page.get_by_role("heading", level=1)).to_have_text("Personal data breach notification (GDPR Art. 33)")
    expect(document.get_by_role("heading", name="Nature of the breach Art. 33(3)(a)")).to_be_visible()
    expect(document).to_contain_text("mailed to the wrong customer")
    expect(document).to_contain_text("Phishing mails aimed at the contacts")
    expect(document).to_contain_text("privacy@elastx.com")
    expect(document).to_contain_text("2026-11-29T09:15:00+01:00 (notification due 2026-12-02T09:15:00+01:00)")
    _accessible(page, "document-en")
    page.get_by_role("link", name="The document in Swedish").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Anmälan av personuppgiftsincident (artikel 33 i dataskyddsförordningen)"
    )
    for heading in (
        "Incidentens art",
        "Kontaktpunkt för dataskyddsfrågor",
        "Sannolika följder",
        "Vidtagna eller föreslagna åtgärder",
    ):
        expect(document.get_by_role("heading", name=re.compile(f"^{heading} artikel 33"))).to_be_visible()
    expect(document).to_contain_text("Fick kännedom")
    expect(document).to_contain_text("i egenskap av personuppgiftsansvarig")
    expect(document).to_contain_text("konfidentialitet")
    expect(document).to_contain_text("hög risk")
    swedish = document.inner_text()
    for english in ("Nature of the breach", "Likely consequences", "Measures", "Became aware", "acting as", "phase"):
        assert english not in swedish
    _accessible(page, "document-sv")
    page.get_by_role("link", name=re.compile("^Back to incident")).click()

    # The notification as sent, confirmed; it stops the clock.
    notification = page.locator("#notification-form")
    notification.get_by_label("Reference").fill("IMY-2026-4711")
    notification.get_by_label(re.compile("^I have sent this notification")).check()
    notification.get_by_role("button", name="Record the notification").click()
    expect(page.locator("#done")).to_contain_text("The notification is recorded")
    expect(page.locator("#notifications-heading + div table")).to_contain_text("IMY-2026-4711")
    expect(page.locator(".countdown")).to_have_count(0)

    # Art. 34: the letters, after the page says how many people.
    page.get_by_role("link", name="Write to the people concerned…").click()
    expect(page.locator("#letters-plan")).to_have_text("2 people are in the incident's scope.")
    assert smtp_server.messages == []
    page.get_by_label("Language of the letters").select_option("sv")
    _accessible(page, "letters")
    page.get_by_role("button", name="Send 2 letters now").click()
    expect(page.locator("#done")).to_contain_text("The letters have gone")
    expect(page.locator("#subjects-state")).to_have_text("2 letters sent.")
    assert smtp_server.recipients == ["anna@acme.se", "bo@acme.se"]
    letter = smtp_server.to("anna@acme.se")[0]
    assert letter["Subject"] == "Information om en personuppgiftsincident hos Elastx"
    body = letter.get_body(("plain",)).get_content()
    assert "Hej Anna Andersson" in body
    assert "Phishing mails aimed at the contacts" in body

    # Close, confirmed; it stays in the register.
    page.get_by_label("Note (optional)").fill("Everyone told; the authority has the notification")
    page.get_by_label(re.compile("^I have checked that everyone")).check()
    page.get_by_role("button", name="Close the incident").click()
    expect(page.locator("#done")).to_contain_text("The incident is closed.")
    expect(page.get_by_role("button", name="Reopen the incident")).to_be_visible()
    expect(page.locator("ol.timeline li")).to_have_count(9)
    _accessible(page, "closed")
    page.get_by_role("link", name="All incidents").click()
    row = page.locator("tr[id^=incident-]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("closed")
    assert console_errors == []
