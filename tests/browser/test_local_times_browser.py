"""Times in the admin UI, in a real browser, are the organisation's own (policy organisation.timezone): a DPO
types a request's arrival into the form's date-time field as the clock in Stockholm showed it, and the request
page shows that time with its offset and the deadline counted from that day; an incident's 72 hours across the
change to summer time are shown on the local clock at both ends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from admin_steps import log_in, watch_console
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from custos.clock import FixedClock

StaffFactory = Callable[..., Any]


def test_a_dpo_types_and_reads_times_on_the_organisations_clock(
    page: Page, live_server: str, staff_factory: StaffFactory, clock: FixedClock, client: TestClient
) -> None:
    console_errors = watch_console(page)
    log_in(page, live_server, staff_factory("dpo"), clock, path="/admin/requests/new")
    page.get_by_label("Kind", exact=True).select_option("access")
    page.get_by_label("Email address").fill("eva@moln.se")
    # 00:30 on 25 March in Stockholm, which is still 24 March in UTC: the day of receipt is the 25th.
    page.get_by_label("Arrived at (the organisation's clock)").fill("2026-03-25T00:30")
    page.get_by_label("Send the identity link to this address").uncheck()
    page.get_by_role("button", name="Take in the request").click()
    received = page.locator("dt", has_text="Received").locator("xpath=following-sibling::dd[1]")
    expect(received).to_contain_text("2026-03-25 00:30 +01:00")
    due = page.locator("dt", has_text="Due").locator("xpath=following-sibling::dd[1]")
    expect(due).to_contain_text("2026-04-27")  # a month on is Saturday 25 April, so the Monday after

    # Aware at 00:30 local on the night the clocks go forward: due 72 real hours later, at 01:30 summer time.
    incident = {"summary": "Lost phone", "reported_by": "IT", "kinds": ["confidentiality"]}
    opened = client.post("/api/v1/incidents", json={**incident, "aware_at": "2026-03-28T23:30:00Z"})
    assert opened.status_code == 201, opened.text
    page.goto(f"{live_server}/admin/incidents/{opened.json()['id']}")
    aware = page.locator("dt", has_text="Aware since").locator("xpath=following-sibling::dd[1]")
    expect(aware).to_have_text("2026-03-29 00:30 +01:00")
    expect(page.locator("#main, main").first).to_contain_text("2026-04-01 01:30 +02:00")
    assert console_errors == []
