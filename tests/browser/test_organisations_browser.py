"""Organisations in a real browser, through the UI only: a DPO adds a supplier organisation, finds a customer by
name and by its role, opens it, sees its role periods drawn and listed and the contact on it with a due date, and
ends the customer period after a confirmation naming how many people's due dates change; axe-core finds nothing
serious."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from admin_steps import axe_or_skip, log_in, screenshot, serious_violations, watch_console
from playwright.sync_api import Browser, Page, expect

from custos.actor import Actor
from custos.clock import FixedClock
from custos.register import organisations, people
from custos.register.schemas import OrganisationCreate, PersonCreate, RelationshipCreate, RoleSpan
from custos.runtime import Runtime

ACTOR = Actor.system("test")

StaffFactory = Callable[..., Any]


@pytest.fixture
def axe_page(browser: Browser) -> Iterator[Page]:
    axe_or_skip()
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def customer_with_contact(runtime: Runtime) -> None:
    """The scene: a customer since 2019 with one contact on it."""
    with runtime.work(ACTOR) as work:
        org = organisations.add_organisation(
            work,
            OrganisationCreate(
                name="Molnkund AB",
                org_number="556677-8899",
                roles=[RoleSpan(role="customer", started_on=date(2019, 5, 1))],
            ),
        )
        people.add_person(
            work,
            PersonCreate(
                name="Maja Moln",
                emails=["maja@molnkund.se"],
                relationships=[
                    RelationshipCreate(
                        subject_category="customer_contact", organisation_id=org.id, started_on=date(2019, 5, 1)
                    )
                ],
            ),
        )


def test_a_dpo_follows_an_organisations_roles_and_people(
    axe_page: Page, live_server: str, staff_factory: StaffFactory, clock: FixedClock, customer_with_contact: None
) -> None:
    page = axe_page
    console_errors = watch_console(page)
    log_in(page, live_server, staff_factory("dpo"), clock)
    page.get_by_role("navigation", name="Areas").get_by_role("link", name="Organisations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisations")
    expect(page.locator("#organisations tbody tr")).to_have_count(1)
    page.get_by_label("Name", exact=True).fill("Leverantören AB")
    page.get_by_label("Role", exact=True).select_option("supplier")
    page.get_by_label("From").fill("2024-01-15")
    page.get_by_role("button", name="Add the organisation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Leverantören AB")
    expect(page.locator("#done")).to_have_text("The organisation is added.")
    expect(page.locator("#periods li")).to_have_text(["Supplier: 2024-01-15 – today and on"])
    expect(page.locator("#no-people")).to_be_visible()
    page.get_by_role("link", name="Back to organisations").click()
    page.get_by_label("Name or number").fill("molnkund")
    page.get_by_label("Role today").select_option("customer")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#organisations tbody tr")).to_have_count(1)
    expect(page.locator("#organisations")).not_to_contain_text("Leverantören AB")
    assert serious_violations(page) == []
    page.get_by_role("link", name="Molnkund AB").click()

    expect(page.get_by_role("img", name="Role periods from 2019-05-01 to 2026-11-29")).to_be_visible()
    expect(page.locator("#periods li")).to_have_text(["Customer: 2019-05-01 – today and on"])
    row = page.locator("#org-people tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Maja Moln")
    expect(row).to_contain_text("not due while the role lasts")
    assert serious_violations(page) == []
    screenshot(page, "organisation")

    page.get_by_label("Last day", exact=True).fill("2026-10-31")
    page.get_by_role("button", name="End the period…").click()
    expect(page.locator("#due-changes")).to_have_text(
        "1 person's due date changes: their retention counts from the new end."
    )
    assert serious_violations(page) == []
    page.get_by_role("button", name="End the period", exact=True).click()
    expect(page.locator("#done")).to_contain_text("The role period is ended")
    expect(page.locator("#periods li")).to_have_text(["Customer: 2019-05-01 – 2026-10-31"])
    expect(page.locator("#org-people tbody tr")).not_to_contain_text("not due while the role lasts")
    assert console_errors == []
