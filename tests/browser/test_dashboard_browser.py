"""The dashboard in a real browser: a DPO lands on it after logging in and sees each panel, the requests chart as
an image with its title, overdue requests in red, no console errors, and no serious accessibility violation
(axe-core, as for the cookie banner; skipped without node_modules/axe-core, failed in CI)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from admin_steps import axe_or_skip, log_in, screenshot, serious_violations, watch_console
from playwright.sync_api import Browser, expect

from custos.actor import Actor
from custos.clock import FixedClock, today
from custos.incidents import service as incidents
from custos.incidents.schemas import IncidentCreate
from custos.requests import cases
from custos.requests.schemas import RequestCreate
from custos.runtime import Runtime
from custos.work import Work

ACTOR = Actor(kind="cli", id=None, label="cli:test")
StaffFactory = Callable[..., Any]


def _fill(runtime: Runtime) -> None:
    with runtime.db.transaction() as session:
        for n, shift in enumerate((-2, 3, 20)):
            req, _ = cases.create(
                Work(session, runtime.clock, runtime.keys, runtime.policy, ACTOR),
                RequestCreate(kind="access", email=f"b{n}@example.se"),
                channel="staff",
            )
            req.due_on = today(runtime.clock) + timedelta(days=shift)
        incidents.open_incident(
            Work(session, runtime.clock, runtime.keys, runtime.policy, ACTOR),
            IncidentCreate(summary="Mail to the wrong customer", reported_by="Support", kinds=["confidentiality"]),
        )


def test_a_dpo_sees_the_dashboard_panels_accessibly(
    browser: Browser, live_server: str, runtime: Runtime, staff_factory: StaffFactory, clock: FixedClock
) -> None:
    axe_or_skip()
    _fill(runtime)
    # axe is the test's tool, not the page's: the admin's CSP would rightly refuse the injected script.
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        console_errors = watch_console(page)
        log_in(page, live_server, staff_factory("dpo"), clock)
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Welcome"))
        chart = page.get_by_role("img", name="Open requests by days left to their deadline")
        expect(chart).to_be_visible()
        overdue = page.locator("svg.chart rect.bar.bucket-overdue")
        expect(overdue).to_have_count(1)
        assert overdue.evaluate("e => getComputedStyle(e).fill") == "rgb(164, 22, 26)"  # --danger: red
        expect(page.locator("#requests-overdue")).to_have_text("1 overdue")
        expect(page.locator("#panel-breaches")).to_contain_text("Mail to the wrong customer")
        expect(page.locator("#panel-breaches")).to_contain_text("72 h left of the 72 hours")
        panels = page.get_by_role("list", name="At a glance")
        for heading in ("Retention", "Cookie consent, last 30 days", "Erasure in connected systems", "Access grants"):
            expect(panels.get_by_role("link", name=heading)).to_be_visible()
        page.get_by_role("link", name="Data subject requests by days left").click()
        expect(page).to_have_url(re.compile("/admin/requests"))
        page.go_back()
        tags = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice")
        assert serious_violations(page, tags) == []
        screenshot(page, "dashboard")
        assert console_errors == []
    finally:
        context.close()
