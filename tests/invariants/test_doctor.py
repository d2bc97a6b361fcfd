"""`custos doctor` on live data: a clean register reports nothing; each kind of broken promise is named, with
its fix, by the service, by the CLI (exit 1) and as JSON; a member without `doctor.read` is refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from cli_run import run_cli
from custos.access.models import Grant, Staff
from custos.actor import Actor
from custos.casework import holds as placing
from custos.clock import FixedClock
from custos.incidents.schemas import IncidentCreate
from custos.incidents.service import open_incident
from custos.invariants import Examination, InvariantContext, examine
from custos.register import people
from custos.register.models import Person
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.requests import cases
from custos.requests.schemas import RequestCreate
from custos.retention.schemas import HoldCreate
from custos.runtime import Runtime
from custos.setup import FIRST_ADMIN_EMAIL
from custos.systems.models import SystemState, SystemTask
from custos.work import Work

STAFF = Actor(kind="staff", id=None, label="staff:test")
StaffFactory = Callable[..., Any]


def check(runtime: Runtime, on: date | None = None) -> Examination:
    now = runtime.clock.now()
    with runtime.work(STAFF) as work:
        return examine(work, InvariantContext(policy=runtime.policy, on=on or now.date(), now=now))


def broken(result: Examination) -> dict[str, list[str]]:
    return {o.invariant.id: [f"{f.subject}: {f.detail}" for f in o.findings] for o in result.broken}


def add_prospect(runtime: Runtime, email: str, last: date) -> str:
    data = PersonCreate(
        name="Pat Prospect",
        emails=[email],
        relationships=[
            RelationshipCreate(subject_category="prospect", last_interaction_on=last, collected_on=date(2010, 1, 1))
        ],
    )
    with runtime.work(STAFF) as work:
        return people.add_person(work, data).ref


def add_employee(runtime: Runtime, ended: date) -> str:
    relationships = [
        RelationshipCreate(subject_category="employee", activity=activity, started_on=date(2019, 9, 1), ended_on=ended)
        for activity in ("employment", "taxes-and-fees", "bookkeeping")
    ]
    data = PersonCreate(name="Erik Employee", emails=["erik@example.se"], relationships=relationships)
    with runtime.work(STAFF) as work:
        return people.add_person(work, data).ref


def test_a_clean_register_breaks_no_promise(owned: Runtime, runtime: Runtime) -> None:
    add_prospect(runtime, "fresh@example.se", date(2026, 1, 10))
    result = check(runtime)
    assert result.healthy, broken(result)
    assert len(result.outcomes) >= 4


def test_each_kind_of_broken_promise_is_named_with_its_fix(owned: Runtime, runtime: Runtime, clock: FixedClock) -> None:
    overdue = add_prospect(runtime, "old@example.se", date(2014, 5, 2))  # due 2024-05-02, never swept
    with runtime.db.transaction() as session:
        # A person written around the services (an old import, a hand-edited database): no relationship at all.
        lonely = Person(ref="0000aaaa-0000-4000-8000-000000000001", name_enc=runtime.keys.encrypt("X", "person.name"))
        lonely.created_at = lonely.updated_at = clock.now()
        session.add(lonely)
        request, _ = cases.create(
            Work(session, runtime.clock, runtime.keys, runtime.policy, STAFF),
            RequestCreate(kind="access", email="asker@example.se", received_at=clock.now() - timedelta(days=60)),
            channel="staff",
        )
        incident = open_incident(
            Work(session, clock, runtime.keys, runtime.policy, STAFF),
            IncidentCreate(
                summary="Laptop with an export lost",
                aware_at=clock.now() - timedelta(hours=80),
                reported_by="IT",
                kinds=["confidentiality"],
            ),
        )
        # A grant written past the four-eyes services, and a system handed to someone who left.
        member = Staff(email="eve@staff.test", name="Eve", status="active", password_hash="x", created_at=clock.now())
        session.add(member)
        session.flush()
        grant = Grant(staff_id=member.id, role="privacy_officer", scope="*", granted_at=clock.now())
        session.add(grant)
        session.get_one(SystemState, "crm").owner = "gone@staff.test"
    # An employee whose bookkeeping must stay until 2033, a prospect with no date to count from, and a
    # relationship recorded on a basis the policy no longer states: all written around the services.
    employee = add_employee(runtime, ended=date(2025, 3, 31))
    never = add_prospect(runtime, "nodate@example.se", date(2026, 1, 1))
    consented = add_prospect(runtime, "basis@example.se", date(2026, 2, 1))
    with runtime.db.transaction() as session:
        rels = {
            p.ref: p.relationships for p in session.scalars(select(Person).where(Person.ref.in_([never, consented])))
        }
        rels[never][0].last_interaction_on = None
        rels[consented][0].legal_basis = "consent"
        task = SystemTask(
            system_id="finance",
            subject_ref=employee,
            cause="request:DSR-TEST",
            operation="erase",
            state="open",
            owner=FIRST_ADMIN_EMAIL,
            categories=["contact.name", "finance.invoice"],
            kept=[],
            created_at=clock.now(),
            done_fields=[],
        )
        session.add(task)
    result = check(runtime)
    found = broken(result)
    assert set(found) == {
        "person-has-basis",
        "nobody-kept-past-due",
        "request-answered-in-time",
        "breach-notified-in-time",
        "personal-data-needs-second-approval",
        "system-has-owner",
        "relationship-can-fall-due",
        "legal-retention-never-erased",
    }
    assert [f.split(":")[0] for f in found["relationship-can-fall-due"]] == [f"person {never}"]
    assert f"person {consented}: relationship" in found["person-has-basis"][1]
    assert "recorded on 'consent', but the policy states 'legitimate_interest'" in found["person-has-basis"][1]
    [conflict] = found["legal-retention-never-erased"]
    # Both are kept: the invoices under Bokföringslagen, the name as long as the tax records need it.
    assert conflict.startswith(
        f"task {task.id}: erasing contact.name, finance.invoice in finance for person {employee}"
    )
    assert "Bokföringslagen (1999:1078) 7 kap. 2 §" in conflict
    assert "Skatteförfarandelagen (2011:1244)" in conflict
    assert [f.split(" (")[0] for f in found["personal-data-needs-second-approval"]] == [
        f"grant {grant.id}: grant {grant.id}"
    ]
    assert found["system-has-owner"] == ["system crm: owner gone@staff.test: its owner has no staff account"]
    assert found["person-has-basis"][:1] == [
        f"person {lonely.ref}: has no relationship: no purpose and no legal basis to keep the person"
    ]
    assert found["nobody-kept-past-due"] == [
        f"person {overdue}: due since 2024-05-02 (prospects: 10 years after the last interaction) and not held"
    ]
    assert [f.split(":")[0] for f in found["request-answered-in-time"]] == [f"request {request.ref}"]
    assert [f.split(":")[0] for f in found["breach-notified-in-time"]] == [f"incident {incident.id}"]
    fixes = {o.invariant.id: o.invariant.fix() for o in result.broken}
    assert "custos retention sweep" in fixes["nobody-kept-past-due"]


def test_due_today_is_not_yet_late_and_a_hold_keeps_a_promise(owned: Runtime, runtime: Runtime) -> None:
    today = runtime.clock.now().date()
    add_prospect(runtime, "today@example.se", today.replace(year=today.year - 10))
    assert check(runtime).healthy
    held = add_prospect(runtime, "held@example.se", date(2012, 1, 1))
    assert "nobody-kept-past-due" in broken(check(runtime))
    with runtime.work(STAFF) as work:
        placing.add_hold(work, HoldCreate(person_ref=held, reason="Dispute over an invoice"))
    assert check(runtime).healthy


def test_the_cli_exits_1_on_a_broken_promise_and_0_once_it_is_fixed(
    owned: Runtime, runtime: Runtime, cli_env: dict[str, str]
) -> None:
    code, out = run_cli(cli_env, "doctor")
    assert (code, "Every promise holds" in out) == (0, True), out
    ref = add_prospect(runtime, "late@example.se", date(2001, 3, 1))
    code, out = run_cli(cli_env, "doctor")
    assert code == 1, out
    assert "nobody-kept-past-due" in out
    assert ref in out
    assert "custos retention sweep" in out
    code, out = run_cli(cli_env, "doctor", "--json", "--only", "nobody-kept-past-due")
    data: dict[str, Any] = json.loads(out)
    assert code == 1
    assert data["healthy"] is False
    [entry] = data["invariants"]
    assert entry["findings"][0]["record"] == f"person {ref}"
    code, out = run_cli(cli_env, "retention", "sweep", "--yes")
    if code != 0:  # before `--yes` existed the sweep did not ask
        code, out = run_cli(cli_env, "retention", "sweep")
    assert code == 0, out
    assert run_cli(cli_env, "doctor")[0] == 0


def test_an_unknown_invariant_is_an_error_and_the_list_names_them_all(cli_env: dict[str, str]) -> None:
    code, out = run_cli(cli_env, "doctor", "--only", "no-such-thing")
    assert code == 1
    assert "no invariant 'no-such-thing'" in out
    code, out = run_cli(cli_env, "doctor", "--list")
    assert code == 0
    assert "person-has-basis" in out
    assert "Art. 33(1)" in out


def test_a_member_without_doctor_read_is_refused(
    runtime: Runtime, cli_env: dict[str, str], staff_factory: StaffFactory
) -> None:
    auditor = staff_factory("auditor")
    code, out = run_cli(cli_env, "--as", auditor.email, "doctor")
    assert code == 1
    assert "doctor.read" in out


def test_the_check_is_as_of_the_day_given(owned: Runtime, runtime: Runtime) -> None:
    add_prospect(runtime, "future@example.se", date(2026, 6, 1))
    assert check(runtime).healthy
    assert "nobody-kept-past-due" in broken(check(runtime, date(2036, 6, 2)))
    assert datetime(2026, 11, 29, 10, tzinfo=UTC) == runtime.clock.now()
