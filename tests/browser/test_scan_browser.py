"""A DPO confirms a scanned data map in a real browser: from the CRM's page they scan its database (a SQLite
file the test creates), read each proposed table in words, accept three, reject one, correct nothing else,
save, read the confirmation and confirm; the CRM's page then shows the confirmed mapping. Keyboard-free clicks
through the UI only; no console errors; no serious axe-core violation on the review and confirmation pages."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from admin_steps import axe_or_skip, log_in, screenshot, serious_violations, watch_console
from playwright.sync_api import Browser, expect

from custos.clock import FixedClock
from custos.runtime import Runtime
from custos.settings import Settings
from custos.setup import initialise

sys.path.append(str(Path(__file__).parents[1] / "systems"))  # the shared customer-system helper
from customer_system import connected_runtime

StaffFactory = Callable[..., Any]
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")


@pytest.fixture
def runtime(settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[Runtime]:
    initialise(settings, clock)
    rt, _ = connected_runtime(settings, clock, tmp_path)
    (tmp_path / "crm-mapping.yaml").unlink()  # the CRM is connected but nobody has written its map yet
    yield rt
    rt.close()


def test_a_dpo_confirms_a_scanned_map(
    browser: Browser, live_server: str, runtime: Runtime, staff_factory: StaffFactory, clock: FixedClock
) -> None:
    axe_or_skip()
    # axe is the test's tool, not the page's: the admin's CSP would rightly refuse the injected script.
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        console_errors = watch_console(page)
        log_in(page, live_server, staff_factory("dpo"), clock)
        page.get_by_role("navigation", name="Areas").get_by_role("link", name="Connected systems").click()
        expect(page.locator("#system-crm")).to_contain_text("missing")
        page.locator("#system-crm").get_by_role("link", name="CRM").click()
        page.get_by_role("button", name="Scan this database and review its data map").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Proposed data map of CRM")
        customers = page.get_by_role("group", name="Table customers")
        expect(customers).to_contain_text("A person is found here by email, phone.")
        expect(page.get_by_role("group", name="Table orders")).to_contain_text(
            "Rows belong to a person through customer_id → customers.id."
        )
        expect(customers.get_by_label("What customers.email holds")).to_have_value("contact.email")
        assert serious_violations(page, TAGS) == []
        screenshot(page, "scan-review")
        for table in ("customers", "orders", "order_lines"):
            page.get_by_label(f"Accept {table}", exact=True).check()
        page.get_by_label("Reject tickets (leave it out of the map)").check()
        page.get_by_role("button", name="Save and check the map").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Confirm the data map of CRM")
        expect(page.locator("#confirm-summary")).to_have_text("3 tables accepted. 1 table rejected.")
        expect(page.locator("#confirm-rejected")).to_have_text("Left out: tickets.")
        expect(page.locator("#confirm-map")).to_contain_text("Delete the person's rows")
        assert serious_violations(page, TAGS) == []
        screenshot(page, "scan-confirm")
        page.get_by_role("button", name="Confirm the map").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("CRM")
        expect(page.get_by_role("status")).to_have_text(re.compile("The data map is confirmed"))
        mapping = page.locator("#mapping")
        expect(mapping).to_contain_text("customers")
        expect(mapping).to_contain_text("email (email)")
        expect(mapping).not_to_contain_text("tickets")
        expect(page.locator("dl.facts")).to_contain_text("valid")
        assert console_errors == []
    finally:
        context.close()
