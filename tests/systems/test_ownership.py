"""Systems nobody owns (issue 13 item 5): `policy check` refuses a system that gets tasks without an owner, a
task nobody can do reaches the privacy contact (once a day, without the person) and the dashboard, and the
doctor's query lists it until an owner who can do it is set.

The reproduction: the example policy named no owners, a sweep erased a prospect and the CRM's task "waited
unassigned" with nobody told. An owner only counts if they can act: an active staff member holding the
`system_owner` role (`systems.tasks`) for the system.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from custos.access.models import Staff
from custos.actor import Actor
from custos.clock import FixedClock
from custos.demo.owners import hand_unowned_systems
from custos.policy.check import check_policy
from custos.register import people
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.retention.sweep import run_sweep
from custos.retention.systems_step import SystemSteps
from custos.runtime import Runtime
from custos.setup import FIRST_ADMIN_EMAIL
from custos.systems import inventory, ownership
from custos.systems.keys import SubjectKeys
from custos.systems.models import SystemTask
from custos.systems.policy_check import system_findings
from custos.systems.runs import erase_in_system, export_from_system

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "elastx" / "policy.yaml"
PRIVACY = "privacy@elastx.com"  # the example's privacy contact, and the owner it names for its systems
ANNA = SubjectKeys.of(emails=["anna@example.se"])
ACTOR = Actor.system("test")


def _ref(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "policy.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line(path: Path, fragment: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if fragment in line)


def test_policy_check_refuses_a_manual_system_without_an_owner_with_its_line(tmp_path: Path) -> None:
    path = _variant(
        tmp_path,
        "    kind: manual\n    owner: privacy@elastx.com  # ASSUMPTION, see above\n  - id: mailer",
        "    kind: manual\n  - id: mailer",
    )
    report = check_policy(path, FixedClock(date(2026, 11, 29)), checks=[system_findings])
    (problem,) = report.errors
    assert problem.location == "systems[0]"
    assert problem.line == _line(path, "- id: crm")
    assert "'crm' has no owner" in problem.message
    assert problem.hint is not None
    assert "owner:" in problem.hint
    assert "system_owner" in problem.hint


def test_an_http_system_needs_an_owner_for_its_corrections_and_a_sql_one_does_not(tmp_path: Path) -> None:
    http = (
        "    kind: http\n    http:\n      export: {url: 'https://crm.example/people?email={email}'}\n"
        "      delete: {method: DELETE, url: 'https://crm.example/people/{email}'}\n  - id: mailer"
    )
    path = _variant(
        tmp_path, "    kind: manual\n    owner: privacy@elastx.com  # ASSUMPTION, see above\n  - id: mailer", http
    )
    (problem,) = check_policy(path, FixedClock(date(2026, 11, 29)), checks=[system_findings]).errors
    assert "http system 'crm' has no owner" in problem.message
    assert "corrections" in problem.message


def test_the_example_policy_names_an_owner_for_every_system() -> None:
    assert check_policy(EXAMPLE, FixedClock(date(2026, 11, 29)), checks=[system_findings]).ok


def _prospect(runtime: Runtime, email: str) -> str:
    """A prospect last met in 2015: due under the example's ten years (activity prospects, system crm)."""
    with runtime.work(ACTOR) as work:
        return people.add_person(
            work,
            PersonCreate(
                name="Test Prospect",
                emails=[email],
                relationships=[
                    RelationshipCreate(
                        subject_category="prospect",
                        collected_on=date(2015, 1, 1),
                        last_interaction_on=date(2015, 1, 10),
                    )
                ],
            ),
        ).ref


def test_a_sweep_in_a_system_nobody_can_keep_tells_the_privacy_contact_once_and_the_dashboard(
    runtime: Runtime, smtp_server: Any, client: TestClient
) -> None:
    runtime.settings = smtp_server.settings_for(runtime.settings)
    _prospect(runtime, "pia@example.se")
    _prospect(runtime, "per@example.se")
    run_sweep(runtime, ACTOR, trigger="job", systems=SystemSteps(runtime))
    with runtime.db.transaction() as session:
        opened = list(session.scalars(select(SystemTask).where(SystemTask.system_id == "crm")))
        waiting = ownership.unassigned_tasks(session, runtime.policy, runtime.clock.now())
    assert len(opened) == 2
    assert all(task.owner is None for task in opened)  # the owner the policy names has no staff account
    assert [(t.system, t.problem) for t in waiting] == [("crm", "no_account"), ("crm", "no_account")]
    # One email for the system, not one per person, and no person in it (as in the owner's email).
    (message,) = smtp_server.to(PRIVACY)
    body = message.get_content()
    assert "CRM" in str(message["Subject"])
    assert "/admin/systems/owners" in body
    assert "/admin/systems/waiting" in body
    assert "its owner has no staff account" in body
    for personal in ("pia", "per@", *(task.subject_ref for task in opened)):
        assert personal not in body
    # The dashboard says so and links to the tasks; the page lists each one with why.
    home = client.get("/admin").text
    assert 'id="tasks-unassigned"' in home
    assert "2 tasks wait unassigned" in home
    assert 'href="/admin/systems/waiting#unassigned"' in home
    page = client.get("/admin/systems/waiting")
    assert page.status_code == 200
    for task in opened:
        assert f'id="waiting-{task.id}"' in page.text
        assert task.subject_ref in page.text
    assert "its owner has no staff account" in page.text


@pytest.mark.parametrize("case", ["no_account", "disabled", "no_grant", "assigned"])
def test_only_an_active_owner_with_the_role_for_the_system_has_the_task(
    case: str, runtime: Runtime, smtp_server: Any, staff_factory: Any
) -> None:
    runtime.settings = smtp_server.settings_for(runtime.settings)
    if case != "no_account":
        owner = staff_factory("system_owner", "crm" if case != "no_grant" else "mailer", email=PRIVACY)
        if case == "disabled":
            with runtime.db.transaction() as session:
                staff = session.get(Staff, owner.id)
                assert staff is not None
                staff.status = "disabled"
    outcome = export_from_system(runtime, "crm", ANNA, subject_ref=_ref(1), cause="request:R-1")
    assert outcome.status == "waiting"
    with runtime.db.transaction() as session:
        task = session.get(SystemTask, outcome.task_id)
        assert task is not None
        judged = ownership.ownership(session, runtime.policy, "crm", runtime.clock.now())
        unassigned = ownership.unassigned_tasks(session, runtime.policy, runtime.clock.now())
    if case == "assigned":
        assert (task.owner, judged.problem, unassigned) == (PRIVACY, None, [])
        (message,) = smtp_server.messages
        assert "a person to export in CRM" in str(message["Subject"])  # the owner's own email
    else:
        assert (task.owner, judged.problem) == (None, case)
        assert [t.id for t in unassigned] == [task.id]
        (message,) = smtp_server.messages
        assert "wait for an owner" in str(message["Subject"])
        assert ownership.PROBLEMS[case] in message.get_content()


def test_an_owner_removed_after_the_task_was_opened_leaves_it_unassigned_until_a_new_one_is_set(
    runtime: Runtime, staff_factory: Any
) -> None:
    first = staff_factory("system_owner", "crm", email=PRIVACY)
    outcome = erase_in_system(runtime, "crm", ANNA, subject_ref=_ref(2), cause="request:R-2")
    now = runtime.clock.now()
    with runtime.db.transaction() as session:
        assert ownership.unassigned_tasks(session, runtime.policy, now) == []
        staff = session.get(Staff, first.id)
        assert staff is not None
        staff.status = "disabled"
    with runtime.db.transaction() as session:
        (waiting,) = ownership.unassigned_tasks(session, runtime.policy, now)
        assert (waiting.id, waiting.problem, waiting.owner) == (outcome.task_id, "disabled", PRIVACY)
    staff_factory("system_owner", "production", email="crm.owner@example.se")
    with runtime.work(ACTOR) as work:
        inventory.set_owner(work, "crm", "crm.owner@example.se")
    with runtime.db.transaction() as session:
        assert ownership.unassigned_tasks(session, runtime.policy, now) == []
        task = session.get(SystemTask, outcome.task_id)
        assert task is not None
        assert task.owner == "crm.owner@example.se"  # the open task is addressed to the new owner


def test_tasks_open_longer_than_the_setting_are_listed_as_late(
    runtime: Runtime, clock: FixedClock, staff_factory: Any, login_as: Any
) -> None:
    staff_factory("system_owner", "crm", email=PRIVACY)
    outcome = export_from_system(runtime, "crm", ANNA, subject_ref=_ref(3), cause="request:R-3")
    days = runtime.settings.system_task_days
    clock.set(clock.now() + timedelta(days=days - 1))
    with runtime.db.transaction() as session:
        assert ownership.waiting_tasks(session, runtime.policy, clock.now(), older_than_days=days) == []
    home = login_as("dpo").get("/admin").text  # signed in on the day (a session does not last a week)
    assert 'id="panel-tasks"' in home
    assert 'id="tasks-late"' not in home
    clock.set(clock.now() + timedelta(days=2))
    with runtime.db.transaction() as session:
        (late,) = ownership.waiting_tasks(session, runtime.policy, clock.now(), older_than_days=days)
        # Assigned tasks are not "unassigned", whatever their age; the doctor's query names only those.
        assert ownership.unassigned_tasks(session, runtime.policy, clock.now()) == []
    assert (late.id, late.problem, late.days_open) == (outcome.task_id, None, days + 1)
    dpo = login_as("dpo")
    assert f"1 tasks have been open more than {days} days" in dpo.get("/admin").text
    assert f'id="waiting-{outcome.task_id}"' in dpo.get("/admin/systems/waiting").text


def test_unassigned_tasks_filters_by_age_for_the_doctor(runtime: Runtime, clock: FixedClock) -> None:
    export_from_system(runtime, "crm", ANNA, subject_ref=_ref(4), cause="request:R-4")
    with runtime.db.transaction() as session:
        assert len(ownership.unassigned_tasks(session, runtime.policy, clock.now())) == 1
        assert ownership.unassigned_tasks(session, runtime.policy, clock.now(), older_than_days=7) == []
        later = clock.now() + timedelta(days=8)
        assert len(ownership.unassigned_tasks(session, runtime.policy, later, older_than_days=7)) == 1
        unowned = {found.system: found.problem for found in ownership.unowned_systems(session, runtime.policy, later)}
    assert unowned == dict.fromkeys(("crm", "mailer", "finance", "website", "analytics"), "no_account")


def test_a_demo_hands_the_systems_nobody_can_keep_to_its_first_administrator(runtime: Runtime) -> None:
    with runtime.work(ACTOR) as work:
        admin = work.session.scalar(select(Staff).where(Staff.email == FIRST_ADMIN_EMAIL))
        assert admin is not None
        handed = hand_unowned_systems(work, admin.id)
    assert handed == ["crm", "mailer", "finance", "website", "analytics"]
    with runtime.work(ACTOR) as work:
        assert ownership.unowned_systems(work.session, runtime.policy, runtime.clock.now()) == []
        assert hand_unowned_systems(work, admin.id) == []  # seeding again
    outcome = erase_in_system(runtime, "crm", ANNA, subject_ref=_ref(5), cause="request:R-5")
    with runtime.db.transaction() as session:
        task = session.get(SystemTask, outcome.task_id)
        assert task is not None
        assert task.owner == FIRST_ADMIN_EMAIL
