"""The retention page in a real browser: a DPO opens it from the navigation and sees the chart (an SVG image
with its title) and the plan, with the due person linked by ref and no console errors (e.g. the CSP refusing
something the page needs)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from admin_steps import log_in, screenshot, watch_console
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from custos.clock import FixedClock

StaffFactory = Callable[..., Any]
# Due on 2026-06-01 (10 years after the last interaction): already due on the fixed day, 2026-11-29.
DUE_PROSPECT = {
    "name": "Bertil Due",
    "emails": ["bertil@example.se"],
    "relationships": [{"subject_category": "prospect", "last_interaction_on": "2016-06-01"}],
}


def test_a_dpo_sees_the_retention_chart_and_the_plan(
    page: Page, live_server: str, staff_factory: StaffFactory, clock: FixedClock, client: TestClient
) -> None:
    added = client.post("/api/v1/people", json=DUE_PROSPECT)
    assert added.status_code == 201, added.text
    ref = added.json()["ref"]
    console_errors = watch_console(page)
    log_in(page, live_server, staff_factory("dpo"), clock)
    page.get_by_role("navigation", name="Areas").get_by_role("link", name="Retention").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Retention")
    chart = page.get_by_role("img", name=re.compile("due for erasure within 30, 90 and 365 days"))
    expect(chart).to_be_visible()
    expect(page.locator("svg.chart rect.bar")).to_have_count(6)
    assert page.locator("svg.chart rect.bar.people").first.bounding_box()["height"] > 0  # type: ignore[index]
    expect(page.locator("#due-table tbody tr").first).to_contain_text("Within 30 days")
    plan = page.locator("#plan")
    # By name since issue 14 (decrypted for the rows shown, audited as person.list), with the ref beside it.
    expect(plan.get_by_role("link", name="Bertil Due")).to_have_attribute("href", f"/admin/people/{ref}")
    expect(plan).to_contain_text(ref)
    expect(plan).to_contain_text("2026-06-01")
    expect(page.get_by_role("button", name="Run the sweep now")).to_be_visible()
    screenshot(page, "retention")
    assert console_errors == []
