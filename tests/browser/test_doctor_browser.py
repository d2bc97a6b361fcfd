"""The promises page in a real browser: a DPO opens it from the navigation, sees the broken promise with what
to do, follows the record's link to the person, and the page passes axe-core (wcag2aa) with no console error."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
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


def test_a_dpo_finds_a_broken_promise_and_the_record_behind_it(
    browser: Browser, live_server: str, runtime: Runtime, staff_factory: StaffFactory, clock: FixedClock
) -> None:
    axe_or_skip()
    data = PersonCreate(
        name="Olle Old",
        emails=["olle@example.se"],
        relationships=[RelationshipCreate(subject_category="prospect", last_interaction_on=date(2012, 4, 1))],
    )
    with runtime.work(ACTOR) as work:
        ref = people.add_person(work, data).ref
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        console_errors = watch_console(page)
        log_in(page, live_server, staff_factory("dpo"), clock)
        page.get_by_role("navigation", name=re.compile(".")).first.get_by_role("link", name="Promises").click()
        expect(page).to_have_url(re.compile("/admin/doctor$"))
        expect(page.locator("#doctor-summary")).to_contain_text("promises are broken")
        expect(page.locator("#invariant-nobody-kept-past-due")).to_contain_text("1 records break it")
        expect(page.locator("#invariant-person-has-basis")).to_contain_text("Holds")
        findings = page.locator("#findings-nobody-kept-past-due")
        expect(findings).to_contain_text("custos retention sweep")
        assert serious_violations(page) == []
        screenshot(page, "doctor")
        findings.get_by_role("link", name=f"person {ref}").click()
        expect(page).to_have_url(re.compile(f"/admin/people/{ref}$"))
        expect(page.get_by_text("Olle Old")).to_be_visible()
        assert console_errors == []
    finally:
        context.close()
