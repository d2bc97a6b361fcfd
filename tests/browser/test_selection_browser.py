"""A selection in a real browser: a DPO saves "customers" and sees a former contact of a current customer left
out, with the reason in words, and no console errors (issue 13: such a contact was "included")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from admin_steps import log_in, screenshot, watch_console
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from custos.clock import FixedClock

StaffFactory = Callable[..., Any]


def test_a_dpo_sees_a_former_contact_left_out_of_a_customer_selection(
    page: Page, live_server: str, staff_factory: StaffFactory, clock: FixedClock, client: TestClient
) -> None:
    org = client.post("/api/v1/organisations", json={"name": "Kund AB", "roles": [{"role": "customer"}]}).json()
    for email, ended in (("nu@kund.se", None), ("forr@kund.se", "2010-06-30")):
        contact = {"subject_category": "customer_contact", "organisation_id": org["id"], "ended_on": ended}
        added = client.post("/api/v1/people", json={"name": email, "emails": [email], "relationships": [contact]})
        assert added.status_code == 201, added.text
    console_errors = watch_console(page)
    log_in(page, live_server, staff_factory("dpo"), clock, "/admin/selections")
    page.get_by_label("Name").fill("Kunder")
    page.get_by_label("Organisation's current role").select_option("customer")
    page.get_by_role("button", name="Save selection").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kunder")
    expect(page.locator("#count-included")).to_have_text("1")
    former = page.locator("#reason-role_ended")
    expect(former.get_by_role("rowheader")).to_have_text("former contact")
    expect(former.locator("td").first).to_have_text("1")
    expect(former).to_contain_text("The person's own role ended")
    screenshot(page, "selection")
    assert console_errors == []
