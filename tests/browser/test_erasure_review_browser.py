"""Issue 13, item 3 in a real browser: a supplier's contact asks for erasure on /rights and confirms with the
emailed link; the request waits for assessment (marked in the queue); the DPO keeps the invoices under
Bokföringslagen and erases the rest; the finance owner's task says what to keep; the letter says what was kept,
why, and until when. The example policy: every system manual, owned by the privacy contact."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from admin_steps import log_in, screenshot, watch_console
from playwright.sync_api import Page, expect
from sqlalchemy import select

from custos.actor import Actor
from custos.clock import FixedClock
from custos.register.organisations import add_organisation
from custos.register.people import add_person
from custos.register.schemas import OrganisationCreate, PersonCreate, RelationshipCreate, RoleSpan
from custos.runtime import Runtime
from custos.settings import Settings
from custos.systems.models import SystemTask
from custos.systems.tasks import confirm_task

ACTOR = Actor.system("test")

SIV = "siv@supplier.example"
BOOKKEEPING = "Bokföringslagen (1999:1078) 7 kap. 2 §"


@pytest.fixture
def settings(settings: Settings, smtp_server: Any, tmp_path: Any) -> Settings:
    local = replace(settings, packages_dir=tmp_path / "packages", public_url="http://127.0.0.1:1")
    return smtp_server.settings_for(local)  # type: ignore[no-any-return]


@pytest.fixture
def supplier_contact(runtime: Runtime) -> str:
    """Siv, the contact of a supplier whose contract ended mid-2025: its invoices are kept until 2033-01-01."""
    with runtime.work(ACTOR) as work:
        org = add_organisation(
            work,
            OrganisationCreate(
                name="Leverantör AB",
                roles=[RoleSpan(role="supplier", started_on=date(2020, 1, 1), ended_on=date(2025, 6, 30))],
            ),
        )
        rels = [
            RelationshipCreate(subject_category="supplier_contact", activity=a, organisation_id=org.id)
            for a in ("supplier-contacts", "bookkeeping")
        ]
        return add_person(work, PersonCreate(name="Siv Svensson", emails=[SIV], relationships=rels)).ref


def _link(smtp_server: Any, pattern: str, server: str) -> str:
    for message in reversed(smtp_server.to(SIV)):
        found = re.search(pattern, message.get_body(("plain",)).get_content())
        if found:
            return server + found.group(1)
    raise AssertionError(f"no letter to {SIV} has a link like {pattern}")


def test_an_erasure_waits_for_the_dpos_assessment_and_the_letter_says_what_was_kept(
    page: Page,
    live_server: str,
    smtp_server: Any,
    staff_factory: Any,
    clock: FixedClock,
    runtime: Runtime,
    supplier_contact: str,
) -> None:
    console_errors = watch_console(page)
    # The subject asks on /rights and confirms with the emailed link.
    page.goto(live_server + "/rights")
    page.get_by_label("Delete my data").check()
    page.get_by_label("Your email address").fill(SIV)
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your request is received")
    found = re.search(r"DSR-[A-Z0-9]{8}", page.content())
    assert found
    ref = found.group(0)
    page.goto(_link(smtp_server, r"https?://[^/\s]+(/rights/verify/\S+)", live_server))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#verified")).to_be_visible()
    with runtime.db.transaction() as session:
        assert session.scalars(select(SystemTask)).all() == []  # nothing irreversible has started

    # The queue marks it; the filter finds it; days left still count down.
    page.context.clear_cookies()
    dpo = staff_factory("dpo")
    log_in(page, live_server, dpo, clock, path="/admin/requests")
    expect(page.locator("#assessing-count")).to_contain_text("1 erasure request waits")
    page.locator("#assessing-count a").click()
    row = page.locator(f"#request-{ref}")
    expect(row).to_contain_text("needs assessment")
    expect(row.locator("td.num")).to_have_text(re.compile(r"^\d+$"))
    row.get_by_role("link", name=ref).click()

    # The assessment: the invoices are kept under Bokföringslagen (the law's own line says so), the rest erased.
    expect(page.locator("#state")).to_contain_text("Waiting for assessment")
    screenshot(page, "erasure-assessment")
    invoices = page.locator('tr[data-category="finance.invoice"]')
    expect(invoices).to_contain_text(f"The law keeps it: {BOOKKEEPING}, until 2033-01-01.")
    expect(invoices.get_by_label("Erase", exact=True)).to_be_disabled()
    invoices.get_by_label("Keep", exact=True).check()
    invoices.get_by_label("Ground for keeping finance.invoice").select_option("legal_obligation")
    invoices.get_by_label("Reason for keeping finance.invoice").fill(BOOKKEEPING)
    invoices.get_by_label("Date until which finance.invoice is kept").fill("2033-01-01")
    for category in ("contact.name", "contact.role", "contact.email", "contact.phone"):
        page.locator(f'tr[data-category="{category}"]').get_by_label("Erase", exact=True).check()
    page.get_by_role("button", name="Record the assessment and erase the rest").click()
    expect(page.locator("#done")).to_contain_text("The assessment is recorded")
    expect(page.locator("#state")).to_contain_text("In progress")
    expect(page.locator("#decisions")).to_contain_text("finance.invoice: kept: Legal obligation (Art. 17(3)(b))")
    expect(page.locator("#keep")).to_contain_text("finance.invoice")

    # The finance owner's task: what to erase, and apart, what to keep with its law and date.
    with runtime.db.transaction() as session:
        finance = session.scalars(select(SystemTask).where(SystemTask.system_id == "finance")).one()
        finance_id = finance.id
    page.goto(f"{live_server}/admin/systems/finance/tasks/{finance_id}")
    expect(page.locator("#keep")).to_contain_text(f"finance.invoice: {BOOKKEEPING}; keep until 2033-01-01")
    expect(page.locator("#erase-categories")).not_to_contain_text("finance.invoice")
    screenshot(page, "erasure-finance-task")

    # The owners confirm (each in their own pages; here through the service), then the DPO answers.
    owner = Actor(kind="staff", id=dpo.id, label=f"staff:{dpo.email}")
    with runtime.work(owner) as work:
        for task in work.session.scalars(select(SystemTask).where(SystemTask.state == "open")).all():
            confirm_task(
                work, task.system_id, task.id, fields=list(task.categories), records=1, note=None,
            )  # fmt: skip
    page.goto(f"{live_server}/admin/requests/{ref}")
    page.get_by_role("button", name="Run the next steps now").click()
    page.get_by_role("button", name="Complete and send the answer").click()
    expect(page.locator("#done")).to_contain_text("completed")

    letter = smtp_server.to(SIV)[-1].get_body(("plain",)).get_content()
    assert ref in letter
    kept = letter.split("What we had to keep", 1)[1]
    assert "Invoices and other accounting records" in kept
    assert BOOKKEEPING in kept
    assert "2033-01-01" in kept
    assert "Email address" not in kept  # erased, not kept
    clock.advance(timedelta(seconds=1))
    assert console_errors == []
