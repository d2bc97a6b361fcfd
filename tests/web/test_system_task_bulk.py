"""A system owner's task list and bulk confirmation, and "My system tasks" in the navigation of every member
whose grants hold `systems.tasks` somewhere.

Bulk confirmation is all or nothing: the selection is checked in the transaction that would write it; when any
task is refused (another system's, already confirmed, unknown, or naming no field) nothing is confirmed and each
refusal is named. Each confirmed task is closed and audited exactly as the single form does it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from custos.access.models import Grant, Staff
from custos.actor import Actor
from custos.audit.models import AuditEvent
from custos.runtime import Runtime
from custos.systems import tasks
from custos.systems.keys import SubjectKeys
from custos.systems.models import SystemTask
from staff_login import StaffLogin

LoginAs = Callable[..., TestClient]
StaffFactory = Callable[..., StaffLogin]
OWNER = Actor(kind="staff", id=1, label="staff:1")
_numbers = itertools.count(1)


def _open(runtime: Runtime, system: str, operation: str = "erase") -> int:
    n = next(_numbers)
    task_id, _ = tasks.open_task(
        runtime,
        runtime.policy.system(system),
        SubjectKeys.of(emails=[f"p{n}@example.se"]),
        subject_ref=f"00000000-0000-4000-8000-{n:012d}",
        cause=f"request:DSR-T{n:07d}",
        operation=operation,
    )
    return task_id


def _states(runtime: Runtime) -> dict[int, str]:
    with runtime.db.transaction() as session:
        return {row.id: row.state for row in session.execute(select(SystemTask.id, SystemTask.state))}


def _confirmations(runtime: Runtime) -> int:
    with runtime.db.transaction() as session:
        return (
            session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "system.task_confirm")
            )
            or 0
        )


def _bulk(web: TestClient, ids: list[int], **extra: str) -> Any:
    form = {f"task-{i}": str(t) for i, t in enumerate(ids, start=1)} | extra
    return web.post("/admin/systems/tasks/confirm", data=form, follow_redirects=False)


def test_an_owner_confirms_several_tasks_with_one_confirmation(login_as: LoginAs, runtime: Runtime) -> None:
    mine = [_open(runtime, "mailer"), _open(runtime, "mailer", "export"), _open(runtime, "mailer")]
    owner = login_as("system_owner", "mailer")
    listing = owner.get("/admin/systems/tasks").text
    assert "3 open tasks" in listing
    assert 'data-select-all="task-bulk-form"' in listing
    asked = _bulk(owner, mine[:2])
    assert asked.status_code == 200
    assert "Confirm 2 tasks as done?" in asked.text
    assert "p1@example.se" not in asked.text  # identities stay on each task's own page
    assert set(_states(runtime).values()) == {"open"}
    done = _bulk(owner, mine[:2], confirm="1", note="Removed from the lists")
    assert done.status_code == 303
    assert owner.get(done.headers["location"]).text.count("2 tasks are confirmed and closed.") == 1
    states = _states(runtime)
    assert [states[t] for t in mine] == ["done", "done", "open"]
    assert _confirmations(runtime) == 2  # each audited, as the single form does
    with runtime.db.transaction() as session:
        closed = session.get(SystemTask, mine[0])
        assert closed is not None
        assert closed.identities_enc is None  # what to look for goes once it has been looked for
        assert closed.done_fields == list(closed.categories)
        assert closed.note_enc is not None


def test_a_task_outside_the_owners_scope_is_refused_and_nothing_is_confirmed(
    login_as: LoginAs, runtime: Runtime
) -> None:
    mine = _open(runtime, "mailer")
    theirs = _open(runtime, "crm")
    owner = login_as("system_owner", "mailer")
    asked = _bulk(owner, [mine, theirs, 999999])
    assert asked.status_code == 200
    assert f'id="refused-{theirs}"' in asked.text
    assert "it is not a task of a system you own" in asked.text
    assert "there is no such task" in asked.text
    assert "CRM" not in asked.text  # a refusal does not say what another system holds
    assert "Confirm 1 task as done?" in asked.text
    refused = _bulk(owner, [mine, theirs], confirm="1")
    assert refused.status_code == 409
    assert "Nothing was confirmed" in refused.text
    assert set(_states(runtime).values()) == {"open"}
    assert _confirmations(runtime) == 0
    # Already confirmed: refused the same way.
    assert _bulk(owner, [mine], confirm="1").status_code == 303
    again = _bulk(owner, [mine], confirm="1")
    assert again.status_code == 409
    assert "it was already confirmed" in again.text
    assert _bulk(owner, []).status_code == 422


def test_the_task_list_filters_by_state_and_system_and_pages_through(
    login_as: LoginAs, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm = [_open(runtime, "crm") for _ in range(3)]
    mailer = [_open(runtime, "mailer") for _ in range(2)]
    owner = login_as("system_owner", "production")  # an environment: every system in it
    shown = lambda html: {int(x) for x in re.findall(r'<tr id="task-(\d+)"', html)}  # noqa: E731
    assert shown(owner.get("/admin/systems/tasks").text) == set(crm + mailer)
    assert shown(owner.get("/admin/systems/tasks?system=crm").text) == set(crm)
    assert shown(owner.get("/admin/systems/tasks?state=done").text) == set()
    assert "No task has been confirmed yet" in owner.get("/admin/systems/tasks?state=done").text
    assert _bulk(owner, crm[:1], confirm="1").status_code == 303
    assert shown(owner.get("/admin/systems/tasks?state=done").text) == {crm[0]}
    assert "1 confirmed task, newest first" in owner.get("/admin/systems/tasks?state=done").text
    monkeypatch.setattr(tasks, "PAGE_SIZE", 2)
    first = owner.get("/admin/systems/tasks")
    assert len(shown(first.text)) == 2
    assert "4 open tasks" in first.text
    assert 'href="/admin/systems/tasks?offset=2"' in first.text
    second = owner.get("/admin/systems/tasks?offset=2")
    assert shown(first.text) | shown(second.text) == set(crm[1:] + mailer)
    # A system outside the grant is not a filter one can choose.
    single = login_as("system_owner", "mailer")
    assert shown(single.get("/admin/systems/tasks?system=crm").text) == set(mailer)


def _grant(runtime: Runtime, member: StaffLogin, role: str, scope: str) -> None:
    with runtime.db.transaction() as session:
        first = session.scalar(select(Staff.id).where(Staff.is_bootstrap_admin.is_(True)))
        session.add(
            Grant(
                staff_id=member.id,
                role=role,
                scope=scope,
                granted_at=runtime.clock.now(),
                approval="required",
                decided_by_id=first,
                decided_at=runtime.clock.now(),
            )
        )


def _nav(html: str) -> list[str]:
    block = re.search(r'<nav class="areas".*?</nav>', html, re.S)
    return re.findall(r'href="([^"]+)"', block.group(0)) if block else []


@pytest.mark.parametrize(
    ("role", "scope", "shown"),
    [
        ("dpo", "*", True),
        ("dpo", "custos", True),
        ("privacy_officer", "*", False),
        ("support_agent", "*", False),
        ("system_owner", "mailer", True),
        ("system_owner", "production", True),
        ("system_owner", "*", True),
        ("auditor", "*", False),
        ("account_admin", "*", False),
    ],
)
def test_my_system_tasks_is_in_the_navigation_of_every_role_that_holds_tasks(
    login_as: LoginAs, staff_factory: StaffFactory, role: str, scope: str, shown: bool
) -> None:
    web = login_as(staff=staff_factory(role, scope))
    nav = _nav(web.get("/admin").text)
    assert ("/admin/systems/tasks" in nav) == shown
    assert (web.get("/admin/systems/tasks").status_code == 200) == shown


@pytest.mark.parametrize("role", ["privacy_officer", "support_agent", "auditor", "account_admin"])
def test_a_second_grant_for_one_system_adds_my_system_tasks(
    login_as: LoginAs, staff_factory: StaffFactory, runtime: Runtime, role: str
) -> None:
    member = staff_factory(role)
    _grant(runtime, member, "system_owner", "finance")
    task_id = _open(runtime, "finance")
    web = login_as(staff=member)
    assert "/admin/systems/tasks" in _nav(web.get("/admin").text)
    listing = web.get("/admin/systems/tasks")
    assert f'href="/admin/systems/finance/tasks/{task_id}"' in listing.text
    page = web.get(f"/admin/systems/finance/tasks/{task_id}")
    assert page.status_code == 200
    current = re.search(r'<a href="([^"]+)" aria-current="page">', page.text)
    assert current
    assert current.group(1) == "/admin/systems/tasks"  # the task's page belongs to the task list


# -- the promise: all or nothing ------------------------------------------------------------------------------


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picks=st.lists(st.sampled_from(["mine", "theirs", "done", "unknown"]), min_size=1, max_size=6))
def test_bulk_confirmation_is_all_or_nothing(runtime: Runtime, picks: list[str]) -> None:
    """All or nothing: for any selection mixing the viewer's open tasks with refused ones (another system's,
    already confirmed, unknown), every task is confirmed and audited when none is refused; otherwise nothing
    is confirmed or audited and exactly the refused ones are named."""
    scope = ["mailer"]
    ids: list[int] = []
    refused: set[int] = set()
    for pick in picks:
        system = "crm" if pick == "theirs" else "mailer"
        task_id = 10_000_000 + len(ids) if pick == "unknown" else _open(runtime, system)
        if pick == "done":
            with runtime.work(OWNER) as work:
                tasks.confirm_many(work, scope, [task_id], other_fields=[], note=None)
        if pick != "mine":
            refused.add(task_id)
        ids.append(task_id)
    before, audited = _states(runtime), _confirmations(runtime)
    if refused:
        with pytest.raises(tasks.BulkConfirmRefused) as exc, runtime.work(OWNER) as work:
            tasks.confirm_many(work, scope, ids, other_fields=[], note=None)
        assert {r.task_id for r in exc.value.refused} == refused
        assert _states(runtime) == before
        assert _confirmations(runtime) == audited
    else:
        with runtime.work(OWNER) as work:
            done = tasks.confirm_many(work, scope, ids, other_fields=[], note=None)
        assert {t.id for t in done} == set(ids)
        states = _states(runtime)
        assert all(states[t] == "done" for t in ids)
        assert _confirmations(runtime) == audited + len(set(ids))


def test_a_tasks_cause_reads_as_words_and_links_to_the_request_for_its_handlers(
    client: TestClient, login_as: LoginAs, runtime: Runtime
) -> None:
    task_id = _open(runtime, "mailer")
    with runtime.db.transaction() as session:
        task = session.get(SystemTask, task_id)
        assert task is not None
        ref = task.cause.removeprefix("request:")
    page = client.get(f"/admin/systems/mailer/tasks/{task_id}").text
    assert f'<a href="/admin/requests/{ref}">Request {ref}</a>' in page
    assert "request:DSR" not in page
    owner = login_as("system_owner", "mailer").get(f"/admin/systems/mailer/tasks/{task_id}").text
    assert f"Request {ref}" in owner
    assert f'href="/admin/requests/{ref}"' not in owner  # the owner does not handle requests
    assert "request:DSR" not in client.get("/admin/systems/waiting").text
