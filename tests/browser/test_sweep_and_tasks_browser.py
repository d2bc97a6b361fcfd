"""Issue 13 items 5 and 11 in a real browser: "Run the sweep now" shows whom it erases and asks for the number
before anything is erased, the sweep's tombstones can be opened, and the dashboard shows a manual task that
nobody can do, linking to the list of waiting tasks."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from admin_steps import log_in, screenshot, watch_console
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from custos.clock import FixedClock
from custos.jobs.registry import scheduler_for
from custos.runtime import Runtime
from custos.systems.keys import SubjectKeys
from custos.systems.runs import erase_in_system

StaffFactory = Callable[..., Any]
# Due on 2026-06-01 (ten years after the last interaction), before the fixed day 2026-11-29.
DUE_PROSPECT = {
    "name": "Bertil Due",
    "emails": ["bertil@example.se"],
    "relationships": [{"subject_category": "prospect", "last_interaction_on": "2016-06-01"}],
}


def test_the_sweep_is_confirmed_from_its_dry_run_and_leaves_a_tombstone_to_open(
    page: Page, live_server: str, staff_factory: StaffFactory, clock: FixedClock, client: TestClient, runtime: Runtime
) -> None:
    added = client.post("/api/v1/people", json=DUE_PROSPECT)
    assert added.status_code == 201, added.text
    ref = added.json()["ref"]
    console_errors = watch_console(page)
    log_in(page, live_server, staff_factory("dpo"), clock, path="/admin/retention")
    page.get_by_role("button", name="Run the sweep now").click()
    # The dry run: nothing is erased yet; the person is listed by name and ref with the day they fell due.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Before the sweep")
    expect(page.locator("#sweep-summary")).to_contain_text("1 person erased")
    lines = page.locator("#sweep-lines")
    expect(lines).to_contain_text(ref)
    expect(lines).to_contain_text("2026-06-01")
    expect(lines).to_contain_text("Bertil Due")
    screenshot(page, "sweep-dry-run")
    page.get_by_role("button", name="Erase and trim 1 person now").click()
    expect(page.get_by_role("status")).to_contain_text("The sweep is due now")
    scheduler_for(runtime).tick()  # the worker's tick (the server's own worker may have run it already)
    page.reload()
    sweeps = page.locator("#sweeps")
    expect(sweeps.locator("tbody tr").first).to_contain_text("Done")
    sweeps.locator("tbody tr").first.get_by_role("link", name="1").click()
    # The sweep's tombstones, then one of them: the rule and what was removed per system.
    expect(page.get_by_role("heading", level=1)).to_have_text("Tombstones")
    table = page.locator("#tombstones")
    expect(table).to_contain_text(ref)
    table.locator("tbody tr").first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Tombstone \d+"))
    expect(page.locator("#entries")).to_contain_text("prospects")
    expect(page.locator("#entries")).to_contain_text("2026-06-01")
    expect(page.locator("#counts-register")).to_be_visible()
    expect(page.get_by_text("Bertil")).to_have_count(0)
    screenshot(page, "tombstone")
    assert console_errors == []


def test_the_dashboard_shows_a_task_nobody_can_do_and_links_to_it(
    page: Page, live_server: str, staff_factory: StaffFactory, clock: FixedClock, runtime: Runtime
) -> None:
    # The example policy's CRM is owned by the privacy contact, who has no staff account here.
    outcome = erase_in_system(
        runtime,
        "crm",
        SubjectKeys.of(emails=["anna@example.se"]),
        subject_ref="00000000-0000-4000-8000-000000000001",
        cause="request:R-B1",
    )
    console_errors = watch_console(page)
    log_in(page, live_server, staff_factory("dpo"), clock)
    panel = page.locator("#panel-tasks")
    expect(panel).to_contain_text("1 tasks wait unassigned")
    expect(panel).to_contain_text("CRM")
    screenshot(page, "dashboard-unassigned")
    panel.get_by_role("link", name=re.compile("1 tasks wait unassigned")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tasks waiting for someone")
    row = page.locator(f"#waiting-{outcome.task_id}")
    expect(row).to_contain_text("CRM")
    expect(row).to_contain_text("its owner has no staff account")
    expect(page.get_by_text("anna@example.se")).to_have_count(0)  # identities only on the task's own page
    assert console_errors == []
