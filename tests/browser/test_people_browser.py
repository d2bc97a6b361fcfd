"""Search by name in a real browser: a DPO opens People from the navigation, types two words of a name, gets
the one person with both (the words never in the address), pages on, opens the person, and the list passes
axe-core (wcag2aa) with no console error."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from admin_steps import axe_or_skip, log_in, screenshot, serious_violations, watch_console
from playwright.sync_api import Browser, expect

from custos.actor import Actor
from custos.clock import FixedClock
from custos.register import people
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.runtime import Runtime

ACTOR = Actor.system("test")

StaffFactory = Callable[..., Any]


def _add(runtime: Runtime, name: str, email: str) -> str:
    data = PersonCreate(name=name, emails=[email], relationships=[RelationshipCreate(subject_category="prospect")])
    with runtime.work(ACTOR) as work:
        return people.add_person(work, data).ref


def test_a_dpo_searches_by_name_and_opens_the_person(
    browser: Browser, live_server: str, runtime: Runtime, staff_factory: StaffFactory, clock: FixedClock
) -> None:
    axe_or_skip()
    ref = _add(runtime, "Åsa Lindqvist-Müller", "asa@example.se")
    _add(runtime, "Åsa Berg", "berg@example.se")
    for n in range(55):
        _add(runtime, f"Per Nummer{n:02d}", f"per{n}@example.se")
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        console_errors = watch_console(page)
        log_in(page, live_server, staff_factory("dpo"), clock)
        page.get_by_role("navigation", name="Areas").get_by_role("link", name="People").click()
        expect(page).to_have_url(re.compile("/admin/people$"))
        table = page.locator("#people-table")
        expect(table.locator("tbody tr")).to_have_count(50)
        assert serious_violations(page) == []
        page.get_by_role("button", name="Next page").click()
        expect(table.locator("tbody tr")).to_have_count(7)

        search = page.get_by_label("Search", exact=True)
        search.fill("muller asa")
        search.press("Enter")
        expect(table.locator("tbody tr")).to_have_count(1)
        expect(table).to_contain_text("Åsa Lindqvist-Müller")
        expect(table).to_contain_text("found by the words of their name")
        assert "muller" not in page.url.lower()
        assert serious_violations(page) == []
        screenshot(page, "people_search")

        table.get_by_role("link", name="Åsa Lindqvist-Müller").click()
        expect(page).to_have_url(re.compile(f"/admin/people/{ref}$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Åsa Lindqvist-Müller")
        assert console_errors == []
    finally:
        context.close()
