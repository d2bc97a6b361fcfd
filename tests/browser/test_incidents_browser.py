"""The incidents page in a real browser: a DPO opens it from the navigation and sees the 72-hour countdown of an
open incident (the server's text as of the fixed clock, a progress bar, the deadline as a <time>), the ticking
script loads under the CSP, and the console stays free of errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from admin_steps import log_in, watch_console
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from custos.clock import FixedClock

StaffFactory = Callable[..., Any]
INCIDENT = {
    "summary": "CRM export on a stolen laptop",
    "reported_by": "IT",
    "kinds": ["confidentiality"],
    "aware_at": "2026-11-28T10:00:00Z",  # the fixed clock is 2026-11-29 10:00: 48 h left
}


def test_a_dpo_sees_the_countdown_of_an_open_incident(
    page: Page, live_server: str, staff_factory: StaffFactory, clock: FixedClock, client: TestClient
) -> None:
    opened = client.post("/api/v1/incidents", json=INCIDENT)
    assert opened.status_code == 201, opened.text
    incident_id = opened.json()["id"]
    console_errors = watch_console(page)
    script_loaded: list[int] = []
    page.on("response", lambda r: script_loaded.append(r.status) if r.url.endswith("/static/incidents.js") else None)

    page.clock.install()  # the browser's timers, moved on below instead of waiting for them
    log_in(page, live_server, staff_factory("dpo"), clock)
    page.get_by_role("navigation", name="Areas").get_by_role("link", name="Incidents").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Personal data breaches")
    row = page.locator(f"#incident-{incident_id}")
    expect(row.get_by_role("link", name="CRM export on a stolen laptop")).to_be_visible()
    countdown = row.locator("time.countdown-text")
    expect(countdown).to_have_text("48 h 0 min left")
    expect(countdown).to_have_attribute("datetime", "2026-12-01T10:00:00+00:00")
    expect(row.get_by_role("progressbar", name="Part of the 72 hours gone")).to_be_visible()

    page.wait_for_load_state("networkidle")
    assert script_loaded == [200]
    # The script ticks every 30 s, counting from the page load: a minute on, the text has moved on.
    page.clock.run_for(61_000)
    expect(countdown).to_have_text(re.compile(r"^47 h 5[89] min left$"))
    assert console_errors == []
