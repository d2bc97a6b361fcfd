"""A system owner in a real browser: signs in, finds the manual erasure task of their system from the
navigation, sees whom to look for, confirms what was done, and the task closes (no console errors)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from admin_steps import log_in, screenshot, watch_console
from playwright.sync_api import Page, expect

from custos.clock import FixedClock
from custos.runtime import Runtime
from custos.settings import Settings
from custos.setup import initialise
from custos.systems.keys import SubjectKeys
from custos.systems.runs import erase_in_system, task_state

sys.path.append(str(Path(__file__).parents[1] / "systems"))  # the shared customer-system helper
from customer_system import connected_runtime

StaffFactory = Callable[..., Any]
REF = "2d4f6a8c-1e3b-4d5f-8a7c-9e0b1d2f3a4c"


@pytest.fixture
def runtime(settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[Runtime]:
    initialise(settings, clock)
    rt, _ = connected_runtime(settings, clock, tmp_path)
    yield rt
    rt.close()


def test_a_system_owner_confirms_a_manual_erasure(
    page: Page, live_server: str, staff_factory: StaffFactory, clock: FixedClock, runtime: Runtime
) -> None:
    keys = SubjectKeys.of(emails=["anna@example.se"], phones=["+46701234567"])
    outcome = erase_in_system(runtime, "mailer", keys, subject_ref=REF, cause="request:R-42")
    assert outcome.status == "waiting"
    assert outcome.task_id is not None
    console_errors = watch_console(page)
    log_in(page, live_server, staff_factory("system_owner", "mailer"), clock)
    nav = page.get_by_role("navigation", name="Areas")
    expect(nav.get_by_role("link", name="Connected systems")).to_have_count(0)  # no inventory for this role
    nav.get_by_role("link", name="My system tasks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My system tasks")
    page.get_by_role("link", name="Mailing tool").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erase a person in Mailing tool")
    look_for = page.locator("#look-for")
    expect(look_for).to_contain_text("anna@example.se")
    expect(look_for).to_contain_text("+46701234567")
    screenshot(page, "system-task")
    page.get_by_role("button", name="Confirm and close the task").click()  # nothing ticked: refused
    expect(page.get_by_role("alert")).to_contain_text("say which fields or records were handled")
    page.get_by_label("contact.email").check()
    page.get_by_label("contact.name").check()
    page.get_by_label("Number of records changed").fill("1")
    page.get_by_label("Note (optional)").fill("Removed from the customer newsletter list")
    page.get_by_role("button", name="Confirm and close the task").click()
    expect(page.get_by_role("status")).to_have_text("Your confirmation is recorded and the task is closed.")
    expect(page.locator("#no-open-tasks")).to_be_visible()
    expect(page.locator("#done-tasks")).to_contain_text("contact.email, contact.name")
    assert task_state(runtime, outcome.task_id) == "done"
    # The refused form answers 422 on purpose (the browser logs any 4xx); nothing else may appear.
    assert [e for e in console_errors if "status of 422" not in e] == []


def test_a_dpo_reads_the_inventory_and_a_systems_mapping(
    page: Page, live_server: str, staff_factory: StaffFactory, clock: FixedClock, runtime: Runtime
) -> None:
    keys = SubjectKeys.of(emails=["anna@example.se"])
    assert erase_in_system(runtime, "crm", keys, subject_ref=REF, cause="request:R-43").status == "done"
    console_errors = watch_console(page)
    log_in(page, live_server, staff_factory("dpo"), clock)
    page.get_by_role("navigation", name="Areas").get_by_role("link", name="Connected systems").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connected systems")
    crm = page.locator("#system-crm")
    expect(crm).to_contain_text("Database (connected)")
    expect(crm).to_contain_text("done")
    screenshot(page, "systems")
    crm.get_by_role("link", name="CRM").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("CRM")
    expect(page.locator("#mapping")).to_contain_text("anonymise customer_id")
    expect(page.locator("#runs")).to_contain_text(REF)
    screenshot(page, "system-crm")
    assert console_errors == []
