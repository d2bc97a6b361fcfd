"""Issue 14 in a real browser: a DPO filters the requests queue, assigns several requests with the keyboard
only, opens a request and follows its link to the manual task that blocks it, and confirms several tasks at
once from "My system tasks"; axe-core finds nothing serious on any of those pages."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from admin_steps import axe_or_skip, log_in, screenshot, serious_violations, watch_console
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from custos.access.models import Staff
from custos.actor import Actor
from custos.requests import cases
from custos.requests.schemas import RequestCreate
from custos.runtime import Runtime
from custos.systems import tasks
from custos.systems.keys import SubjectKeys
from custos.systems.models import SystemTask
from custos.work import Work

StaffFactory = Callable[..., Any]
STAFF = Actor(kind="staff", id=1, label="staff:1")
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")


@pytest.fixture
def axe_page(browser: Browser) -> Iterator[Page]:
    axe_or_skip()
    # axe is the test's tool, not the page's: the admin's CSP would rightly refuse the injected script.
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _request(runtime: Runtime, kind: str, days_ago: int, email: str) -> str:
    data = RequestCreate(kind=kind, email=email, received_at=runtime.clock.now() - timedelta(days=days_ago))  # type: ignore[arg-type]
    with runtime.db.transaction() as session:
        req, _ = cases.create(Work(session, runtime.clock, runtime.keys, runtime.policy, STAFF), data, channel="staff")
        return req.ref


def _task(runtime: Runtime, system: str, ref: str, n: int) -> int:
    task_id, _ = tasks.open_task(
        runtime,
        runtime.policy.system(system),
        SubjectKeys.of(emails=[f"p{n}@example.se"]),
        subject_ref=f"00000000-0000-4000-8000-{n:012d}",
        cause=f"request:{ref}",
        operation="erase",
    )
    return task_id


def _clean(page: Page) -> None:
    assert serious_violations(page, TAGS) == []


def test_a_dpo_filters_the_queue_and_assigns_with_the_keyboard(
    axe_page: Page, live_server: str, runtime: Runtime, staff_factory: StaffFactory, clock: Any
) -> None:
    page = axe_page
    late = [_request(runtime, "erasure", 45, f"late{i}@example.se") for i in range(2)]
    soon = _request(runtime, "access", 28, "soon@example.se")
    later = _request(runtime, "erasure", 3, "later@example.se")
    colleague = staff_factory("privacy_officer")
    with runtime.db.transaction() as session:
        member = session.get(Staff, colleague.id)
        assert member is not None
        member.name = "Bo Berg"
    console_errors = watch_console(page)
    log_in(page, live_server, staff_factory("dpo"), clock, path="/admin/requests")
    expect(page.get_by_role("heading", level=1)).to_have_text("Data subject requests")
    _clean(page)

    # Filter: erasures that are overdue; the address keeps the filters.
    page.get_by_label("Kind", exact=True).select_option("erasure")
    page.get_by_label("Days left", exact=True).select_option("overdue")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"kind=erasure.*days=overdue"))
    for ref in late:
        expect(page.locator(f"#request-{ref}")).to_be_visible()
    for ref in (soon, later):
        expect(page.locator(f"#request-{ref}")).to_have_count(0)
    expect(page.locator("table.requests caption")).to_contain_text("2 requests, sorted by due date")
    screenshot(page, "queue-filtered")
    _clean(page)

    # Keyboard only: tick "select all on this page", choose the colleague, submit, confirm.
    page.get_by_label("Select all requests on this page").focus()
    page.keyboard.press("Space")
    for ref in late:
        expect(page.locator(f"#request-{ref} input[type=checkbox]")).to_be_checked()
    page.get_by_label("Assign to").focus()
    choices = page.get_by_label("Assign to").locator("option").all_inner_texts()
    for _ in range(choices.index("Bo Berg")):
        page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Assign to")).to_have_value(str(colleague.id))
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Assign the selected requests")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Assign several requests")
    expect(page.locator("#bulk-question")).to_have_text("Assign 2 requests to Bo Berg?")
    _clean(page)
    button = page.get_by_role("button", name="Assign 2 requests to Bo Berg")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("2 requests are assigned.")
    expect(page).to_have_url(re.compile(r"kind=erasure.*days=overdue"))  # back to the same filtered queue
    for ref in late:
        expect(page.locator(f"#request-{ref}")).to_contain_text("Bo Berg")
    _clean(page)
    assert console_errors == []


def test_a_dpo_follows_a_request_to_its_blocking_task_and_confirms_tasks_in_bulk(
    axe_page: Page, live_server: str, runtime: Runtime, staff_factory: StaffFactory, clock: Any
) -> None:
    page = axe_page
    ref = _request(runtime, "erasure", 10, "eva@example.se")
    blocking = _task(runtime, "finance", ref, 1)
    others = [_task(runtime, "crm", f"DSR-OTHER00{i}", 10 + i) for i in range(2)]
    console_errors = watch_console(page)
    log_in(page, live_server, staff_factory("dpo"), clock, path="/admin/requests")
    page.get_by_role("link", name=ref).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(ref)
    manual = page.locator(f"#manual-task-{blocking}")
    expect(manual).to_contain_text("open, waiting for the owner")
    expect(page.locator("#waiting-count")).to_have_text("The request waits for 1 manual task.")
    history = page.locator("ol.timeline")
    expect(history).to_contain_text("Received (staff entry).")
    expect(history).not_to_contain_text("staff:")
    _clean(page)
    manual.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erase a person in Finance and payroll")
    expect(page.get_by_role("navigation", name="Areas").locator('[aria-current="page"]')).to_have_text(
        "My system tasks"
    )
    _clean(page)

    # My system tasks: tick two, confirm them with one confirmation naming how many.
    page.get_by_role("navigation", name="Areas").get_by_role("link", name="My system tasks").click()
    expect(page.locator("#open-tasks caption")).to_contain_text("3 open tasks")
    _clean(page)
    for task_id in others:
        page.get_by_label(f"Select task {task_id} in CRM").check()
    page.get_by_role("button", name="Confirm the selected tasks").click()
    expect(page.locator("#bulk-question")).to_have_text("Confirm 2 tasks as done?")
    _clean(page)
    page.get_by_label("Note (optional)").fill("Removed from the CRM by hand")
    page.get_by_role("button", name="Confirm 2 tasks").click()
    expect(page.get_by_role("status")).to_have_text("2 tasks are confirmed and closed.")
    expect(page.locator("#open-tasks caption")).to_contain_text("1 open task")
    expect(page.locator(f"#task-{blocking}")).to_be_visible()
    screenshot(page, "tasks-bulk-confirmed")
    with runtime.db.transaction() as session:
        states = dict(session.execute(select(SystemTask.id, SystemTask.state)).all())
    assert [states[t] for t in others] == ["done", "done"]
    assert states[blocking] == "open"
    assert console_errors == []
