"""A person in a real browser, through the UI only: a DPO adds a person (and sees the register refuse a relationship
that could never fall due, next to its field), corrects a person's email, ends a relationship after seeing the
due date it makes, and places a legal hold; each page axe-core clean and without console errors."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from admin_steps import axe_or_skip, log_in, screenshot, serious_violations, watch_console
from playwright.sync_api import Browser, Page, expect

from custos.actor import Actor
from custos.clock import FixedClock
from custos.register import people
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.runtime import Runtime

ACTOR = Actor.system("test")

StaffFactory = Callable[..., Any]
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice")


@pytest.fixture
def axe_page(browser: Browser) -> Iterator[Page]:
    """A page whose context lets the test inject axe-core (the admin's CSP rightly refuses it otherwise)."""
    axe_or_skip()
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _employee(runtime: Runtime) -> str:
    data = PersonCreate(
        name="Eva Employee",
        title="Engineer",
        emails=["eva@old.example.se"],
        relationships=[
            RelationshipCreate(subject_category="employee", activity="employment", started_on=date(2021, 3, 1))
        ],
    )
    with runtime.work(ACTOR) as work:
        return people.add_person(work, data).ref


def _unexpected(errors: list[str]) -> list[str]:
    """Console errors but the browser's note of a refused form's status (422), which is the refusal shown."""
    return [e for e in errors if "status of 422" not in e]


def _clean(page: Page) -> None:
    assert serious_violations(page, TAGS) == []


def test_a_dpo_adds_a_person_and_sees_a_refusal_next_to_its_field(
    axe_page: Page, live_server: str, staff_factory: StaffFactory, clock: FixedClock
) -> None:
    page = axe_page
    console_errors = watch_console(page)
    log_in(page, live_server, staff_factory("dpo"), clock, path="/admin/people/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a person")
    _clean(page)
    page.get_by_label("Name").fill("Stina Säljare")
    page.get_by_label("Role or title").fill("Head of IT")
    page.get_by_label("Email address").fill("stina@example.se")
    page.get_by_label("Category").select_option(label="Customer contacts")
    page.get_by_role("button", name="Add the person").click()
    # A customer contact with no organisation could never fall due: refused, next to the organisation.
    error = page.locator("#f-organisation_id-error")
    expect(error).to_contain_text("kept forever")
    expect(page.get_by_label("Name")).to_have_value("Stina Säljare")
    _clean(page)
    page.get_by_label("Category").select_option(label="Prospects")
    page.get_by_label("Source (optional)").fill("Cloud fair Stockholm 2025")
    page.get_by_role("button", name="Add the person").click()
    expect(page.locator("#done")).to_have_text("The person was added to the register.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Stina Säljare")
    expect(page.locator("#relationships")).to_contain_text("Prospects")
    expect(page.locator("#person-due")).to_contain_text("2036-11-29")
    expect(page).not_to_have_title(re.compile("Stina"))
    _clean(page)
    screenshot(page, "person")
    assert _unexpected(console_errors) == []


def test_a_dpo_corrects_a_person_s_email(
    axe_page: Page, live_server: str, staff_factory: StaffFactory, clock: FixedClock, runtime: Runtime
) -> None:
    ref = _employee(runtime)
    page = axe_page
    console_errors = watch_console(page)
    log_in(page, live_server, staff_factory("dpo"), clock, path=f"/admin/people/{ref}")
    page.get_by_role("link", name="Correct name, title, email or phone").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Correct Eva Employee")
    _clean(page)
    page.get_by_label("Email address").fill("eva@typo")
    page.get_by_role("button", name="Make the correction").click()
    expect(page.locator("#f-email-error")).to_be_visible()
    _clean(page)
    page.get_by_label("Email address").fill("eva@new.example.se")
    page.get_by_role("button", name="Make the correction").click()
    expect(page.locator("#done")).to_contain_text("The correction was made")
    expect(page.locator("#emails")).to_have_text("eva@new.example.se")
    assert _unexpected(console_errors) == []


def test_a_dpo_ends_a_relationship_after_seeing_its_new_due_date(
    axe_page: Page, live_server: str, staff_factory: StaffFactory, clock: FixedClock, runtime: Runtime
) -> None:
    ref = _employee(runtime)
    page = axe_page
    console_errors = watch_console(page)
    log_in(page, live_server, staff_factory("dpo"), clock, path=f"/admin/people/{ref}")
    expect(page.locator("#person-due")).to_contain_text("No due date yet")
    page.get_by_role("link", name="End the relationship under Employment").click()
    _clean(page)
    page.get_by_label("Day the relationship ended").fill("2026-10-31")
    page.get_by_role("button", name="Show the new due date").click()
    confirm = page.locator("#confirm")
    expect(confirm).to_contain_text("Ending on 2026-10-31 makes these the due dates")
    due = page.locator("#due-after").get_attribute("data-due")
    assert due
    _clean(page)
    page.get_by_role("button", name="Confirm and end the relationship").click()
    expect(page.locator("#done")).to_contain_text("The relationship was ended")
    expect(page.locator("#person-due")).to_contain_text(due)
    expect(page.locator("#relationships")).to_contain_text("2026-10-31")
    assert _unexpected(console_errors) == []


def test_a_dpo_places_a_hold_on_a_person_by_keyboard(
    axe_page: Page, live_server: str, staff_factory: StaffFactory, clock: FixedClock, runtime: Runtime
) -> None:
    ref = _employee(runtime)
    page = axe_page
    console_errors = watch_console(page)
    log_in(page, live_server, staff_factory("dpo"), clock, path=f"/admin/people/{ref}")
    expect(page.locator("#holds")).to_contain_text("No legal hold covers this person")
    page.get_by_label("Reason").focus()
    page.keyboard.type("Claim 2026:17, employment dispute")
    page.keyboard.press("Tab")  # to the last day, left empty
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#done")).to_contain_text("The legal hold was placed")
    expect(page.locator("#holds")).to_contain_text(
        "Claim 2026:17, employment dispute — from 2026-11-29, until released"
    )
    _clean(page)
    page.get_by_role("link", name="Erase now…").click()
    expect(page.locator("#held")).to_contain_text("A legal hold keeps this person")
    _clean(page)
    assert _unexpected(console_errors) == []
