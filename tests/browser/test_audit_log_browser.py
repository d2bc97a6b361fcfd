"""The audit log's checks in a real browser, through the UI only: a DPO opens the log from the navigation, checks
it and is told it is intact, downloads the signed heads and one event's proof (which holds offline); then an
event is edited behind Custos's back (past the append-only triggers, as tests/audit/test_audit_tamper.py does)
and the next check says the log is broken, naming the event and what to do. axe-core finds nothing serious on
either result, and no console errors."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from admin_steps import axe_or_skip, log_in, screenshot, serious_violations, watch_console
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update

from custos.actor import Actor
from custos.audit import AuditEvent, record
from custos.audit.proofs import check_proof
from custos.audit.seal import seal
from custos.clock import FixedClock
from custos.runtime import Runtime
from tampering import tampering

StaffFactory = Callable[..., Any]
STAFF = Actor(kind="staff", id=3, label="staff:3", ip="192.0.2.10")


@pytest.fixture
def axe_page(browser: Browser) -> Iterator[Page]:
    axe_or_skip()
    # axe is the test's tool, not the page's: the admin's CSP would rightly refuse the injected script.
    context = browser.new_context(
        locale="en-GB", viewport={"width": 1280, "height": 900}, bypass_csp=True, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _read(runtime: Runtime, n: int) -> list[int]:
    with runtime.db.transaction() as session:
        events = [
            record(session, runtime.clock, STAFF, "person.read", subject=str(uuid.uuid4()), target=f"person:{i}")
            for i in range(n)
        ]
        session.flush()
        return [event.seq for event in events]


def _edit_behind_custos_back(runtime: Runtime, seq: int) -> None:
    with tampering(runtime.db.engine) as connection:
        connection.execute(update(AuditEvent).where(AuditEvent.seq == seq).values(target="person:999"))


def test_a_dpo_checks_the_log_downloads_a_proof_and_is_told_when_it_is_broken(
    axe_page: Page, live_server: str, runtime: Runtime, staff_factory: StaffFactory, clock: FixedClock
) -> None:
    page = axe_page
    seqs = _read(runtime, 5)
    seal(runtime.db, runtime.clock, runtime.keys)  # as the sealer next to the server does within seconds
    console_errors = watch_console(page)
    log_in(page, live_server, staff_factory("dpo"), clock)
    page.get_by_role("navigation", name="Areas").get_by_role("link", name="Audit log").click()
    expect(page).to_have_url(re.compile("/admin/audit$"))
    expect(page.get_by_role("heading", name="Check the log", exact=True)).to_be_visible()
    expect(page.locator("#seal-block")).to_have_text(re.compile(r"^\d+$"))
    assert serious_violations(page) == []

    page.get_by_role("button", name="Check the log now").click()
    result = page.locator("#check-result")
    expect(result).to_contain_text("The log is intact.")
    expect(page.locator("#check-unsealed")).to_contain_text("0")
    expect(page.locator("#check-head")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    assert serious_violations(page) == []
    screenshot(page, "audit-intact")

    with page.expect_download() as heads:
        page.get_by_role("button", name="Download the signed heads").click()
    lines = [json.loads(line) for line in Path(heads.value.path()).read_text("utf-8").splitlines()]
    assert lines
    assert all(line["signature"] for line in lines)

    chosen = seqs[2]
    with page.expect_download() as downloaded:
        page.get_by_role("link", name=f"Proof of event {chosen}", exact=True).click()
    assert downloaded.value.suggested_filename == f"custos-audit-proof-{chosen}.json"
    proof = json.loads(Path(downloaded.value.path()).read_text("utf-8"))
    assert proof["event"]["seq"] == chosen
    assert check_proof(proof) == []  # what `custos audit check-proof` says about the file, offline

    _edit_behind_custos_back(runtime, seqs[1])
    page.get_by_role("button", name="Check the log again").click()
    expect(result).to_contain_text("The log is broken.")
    expect(result).to_contain_text(re.compile(rf"The check stopped at event {seqs[1]}, in sealed block \d+\."))
    expect(page.locator("#check-reason")).to_contain_text(f"event {seqs[1]}: hash does not match its contents")
    expect(page.locator("#check-todo")).to_contain_text("Tell your security contact now")
    expect(page.locator("#check-todo")).to_contain_text("The log is evidence")
    assert serious_violations(page) == []
    screenshot(page, "audit-broken")
    assert console_errors == []
