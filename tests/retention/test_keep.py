"""What an erasure keeps (custos.retention.keep), decided once and followed by every erase instruction.

The example policy's employee (employment, taxes-and-fees, bookkeeping; ended 2025-03-31) keeps the invoices
under Bokföringslagen until 2033-01-01 wherever they are, and the payroll and name under Skatteförfarandelagen in
finance until 2035-03-31. A sweep's manual task agrees with the function on its day, and so does any erase
instruction for random people, relationships and days (hypothesis)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from retention_helpers import tombstones
from sqlalchemy import select

from conftest import SWEEPER, AddPerson, at
from custos.clock import FixedClock
from custos.invariants.erasure_checks import live_conflicts
from custos.policy import Policy, load_policy, parse_policy
from custos.register import people
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.retention.facts import RelationshipRow
from custos.retention.keep import kept_for_ref, kept_on
from custos.retention.rules import CompiledPolicy
from custos.retention.sweep import run_sweep
from custos.retention.systems_step import SystemSteps
from custos.retention.verdict import PersonFacts, judge_person
from custos.runtime import Runtime, open_runtime
from custos.settings import Settings
from custos.systems.held import categories_for
from custos.systems.kept import KeepPlan
from custos.systems.models import SystemTask

EXAMPLE = Path(__file__).parents[2] / "examples" / "elastx" / "policy.yaml"
TODAY = date(2026, 11, 29)
ENDED = date(2025, 3, 31)
BOOKKEEPING = "Bokföringslagen (1999:1078) 7 kap. 2 §"
TAXES = "Skatteförfarandelagen (2011:1244)"
EMPLOYEE = ("employment", "taxes-and-fees", "bookkeeping")


def short_bookkeeping(text: str) -> str:
    """The example policy with bookkeeping's own retention a year after the relationship ended: shorter than
    finance.invoice's legal minimum, so a sweep erases the person while the law still keeps their invoices."""
    return re.sub(
        r"(?ms)(  - id: bookkeeping\n.*?    retention:\n).*?(?=    systems:)",
        lambda m: m.group(1) + "      keep: P1Y\n      from: relationship.ended\n",
        text,
    )


POLICY = load_policy(EXAMPLE)
SHORT = parse_policy(short_bookkeeping(EXAMPLE.read_text(encoding="utf-8")))


def facts(rels: list[tuple[str, str, date | None, date | None]]) -> PersonFacts:
    rows = [
        RelationshipRow(i, 1, category, activity, None, started, ended, None, date(2010, 1, 1))
        for i, (category, activity, started, ended) in enumerate(rels, start=1)
    ]
    return PersonFacts(1, rows, {}, False, frozenset())


def employee(ended: date | None = ENDED) -> PersonFacts:
    return facts([("employee", a, date(2019, 1, 7), ended) for a in EMPLOYEE])


def test_the_employee_keeps_invoices_everywhere_and_payroll_in_finance() -> None:
    plan = kept_on(CompiledPolicy.of(POLICY), employee(), TODAY)
    lines = {line["category"]: line for line in plan.summary()}
    assert lines["finance.invoice"]["laws"] == [BOOKKEEPING]  # the activity's shorter name is folded into it
    assert lines["finance.invoice"]["until"] == "2033-01-01"
    assert lines["employment.payroll"] == {
        "category": "employment.payroll",
        "laws": [TAXES],
        "claims": [],
        "grounds": ["legal_obligation"],
        "until": "2035-03-31",
    }
    assert plan.categories("finance") == {"finance.invoice", "employment.payroll", "contact.name"}
    assert plan.categories("crm") == {"finance.invoice"}  # the payroll obligation lives in finance only
    finance = next(s for s in POLICY.systems if s.id == "finance")
    assert plan.erase_list(categories_for(POLICY, finance), "finance") == [
        "contact.role",
        "contact.email",
        "contact.phone",
    ]


def test_an_open_employment_keeps_its_tax_data_with_no_end_yet() -> None:
    plan = kept_on(CompiledPolicy.of(POLICY), employee(ended=None), TODAY)
    lines = {line["category"]: line for line in plan.summary()}
    assert lines["employment.payroll"]["until"] is None
    assert lines["finance.invoice"]["until"] is None  # no financial year closed yet: cannot be dated, so kept


def test_nothing_is_kept_once_every_period_has_run_out() -> None:
    assert not kept_on(CompiledPolicy.of(POLICY), employee(), date(2035, 3, 31))
    assert kept_on(CompiledPolicy.of(POLICY), employee(), date(2035, 3, 30)).categories() == {
        "employment.payroll",
        "contact.name",
    }


def test_a_held_person_keeps_their_activities_data_for_the_claim() -> None:
    held = replace(employee(), person_held=True)
    plan = kept_on(CompiledPolicy.of(POLICY), held, date(2040, 1, 1))
    assert plan.categories("crm") >= {"contact.name", "contact.email", "employment.payroll"}
    assert all(line.get("hold") for line in plan.summary())


# -- the promise over random people, relationships and days ---------------------------------------------------

_ACTIVITIES = {
    "employee": ["employment", "taxes-and-fees", "bookkeeping"],
    "prospect": ["prospects"],
    "supplier_contact": ["supplier-contacts", "bookkeeping"],
    "partner_contact": ["partner-contacts", "bookkeeping"],
}
days = st.dates(min_value=date(2015, 1, 1), max_value=date(2045, 12, 31))
relationship = st.sampled_from(sorted(_ACTIVITIES)).flatmap(
    lambda category: st.tuples(
        st.just(category),
        st.sampled_from(_ACTIVITIES[category]),
        st.none() | days,
        st.none() | st.integers(min_value=0, max_value=6000),
    )
)


# What the register takes in without an organisation: an employee's relationships under each activity.
employment = st.tuples(
    st.just("employee"),
    st.sampled_from(_ACTIVITIES["employee"]),
    days,
    st.none() | st.integers(min_value=0, max_value=6000),
)


def _rels(drawn: list[tuple[str, str, date | None, int | None]]) -> list[tuple[str, str, date | None, date | None]]:
    return [(c, a, s, (s + timedelta(days=n)) if s is not None and n is not None else None) for c, a, s, n in drawn]


@hsettings(max_examples=300, deadline=None)
@given(st.lists(relationship, min_size=1, max_size=5), days, st.sampled_from([POLICY, SHORT]))
def test_no_erase_instruction_names_what_the_law_keeps_that_day(
    drawn: list[tuple[str, str, date | None, int | None]], on: date, policy: Policy
) -> None:
    rules = CompiledPolicy.of(policy)
    person = facts(_rels(drawn))
    plan = kept_on(rules, person, on)
    for system in policy.systems:
        erase = set(plan.erase_list(categories_for(policy, system), system.id))
        assert not erase & plan.categories(system.id), system.id
    for verdict in judge_person(rules, person, on).relationships:
        # every legal minimum still running keeps its category, everywhere
        assert set(verdict.retained_categories) <= plan.categories()
        activity = rules.activities[verdict.row.activity]
        if activity.legal_basis == "legal_obligation" and not verdict.due:
            for system in activity.systems:
                assert activity.categories <= plan.categories(system)
    # what is kept later was kept earlier too: nothing comes back once it may go
    assert kept_on(rules, person, on + timedelta(days=400)).categories() <= plan.categories()


# -- a sweep's manual task agrees -----------------------------------------------------------------------------


@pytest.fixture
def short_runtime(runtime: Runtime, settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[Runtime]:
    path = tmp_path / "policy.yaml"
    path.write_text(short_bookkeeping(EXAMPLE.read_text(encoding="utf-8")), encoding="utf-8")
    rt = open_runtime(replace(settings, policy_path=path), clock)
    yield rt
    rt.close()


def _sweep(rt: Runtime, clock: FixedClock, day: date) -> None:
    clock.set(at(day))
    run_sweep(rt, SWEEPER, trigger="job", systems=SystemSteps(rt))


def _tasks(rt: Runtime, ref: str) -> dict[str, SystemTask]:
    with rt.db.transaction() as session:
        found = session.scalars(select(SystemTask).where(SystemTask.subject_ref == ref)).all()
        session.expunge_all()
    return {t.system_id: t for t in found}


def _add(rt: Runtime, email: str, rels: list[tuple[str, str, date | None, date | None]]) -> str:
    data = PersonCreate(
        name="Test Person",
        emails=[email],
        relationships=[
            RelationshipCreate(subject_category=c, activity=a, started_on=s, ended_on=e, collected_on=date(2010, 1, 1))
            for c, a, s, e in rels
        ],
    )
    with rt.work(SWEEPER) as work:
        return people.add_person(work, data).ref


def test_a_sweep_before_the_bookkeeping_period_ends_keeps_the_invoices_and_says_so(
    short_runtime: Runtime, clock: FixedClock
) -> None:
    rt = short_runtime
    ref = _add(rt, "eva@example.se", [("employee", "bookkeeping", date(2019, 1, 7), ENDED)])
    _sweep(rt, clock, TODAY)
    finance = _tasks(rt, ref)["finance"]
    assert "finance.invoice" not in finance.categories
    assert next((k["category"], k["law"], k["until"]) for k in finance.kept or []) == (
        "finance.invoice",
        BOOKKEEPING,
        "2033-01-01",
    )
    (stone,) = tombstones(rt, ref)
    assert stone.state == "retained_under_law"
    assert stone.retained_until == date(2033, 1, 1)
    assert stone.entries[0]["retained_categories"] == ["finance.invoice"]
    with rt.db.transaction() as session:
        assert live_conflicts(session, rt.policy, TODAY) == []


def test_the_employees_sweep_task_agrees_with_the_keep_function_on_its_day(
    runtime: Runtime, clock: FixedClock, add_person: AddPerson
) -> None:
    ref = add_person(
        "eva@example.se",
        [
            {"subject_category": "employee", "activity": a, "started_on": date(2019, 1, 7), "ended_on": ENDED}
            for a in EMPLOYEE
        ],
    )
    _sweep(runtime, clock, date(2035, 3, 30))
    assert _tasks(runtime, ref) == {}  # payroll is kept a day more: the person is not due
    with runtime.db.transaction() as session:
        plan = kept_for_ref(session, CompiledPolicy.of(runtime.policy), ref, date(2035, 3, 31))
    _sweep(runtime, clock, date(2035, 3, 31))
    finance = _tasks(runtime, ref)["finance"]
    assert not plan  # every period has run out: the invoices (2033) and the payroll (2035-03-31)
    assert "finance.invoice" in finance.categories
    assert finance.kept == []


@hsettings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(st.lists(employment, min_size=1, max_size=3, unique_by=lambda r: r[1]), days)
def test_every_task_a_sweep_opens_leaves_what_the_law_keeps_that_day(
    short_runtime: Runtime, clock: FixedClock, drawn: list[tuple[str, str, date | None, int | None]], on: date
) -> None:
    rt = short_runtime
    rels = _rels(drawn)
    ref = _add(rt, f"p{abs(hash((tuple(drawn), on)))}@example.se", rels)
    with rt.db.transaction() as session:
        plan = kept_for_ref(session, CompiledPolicy.of(rt.policy), ref, on)  # before the sweep forgets them
    _sweep(rt, clock, on)
    for system, task in _tasks(rt, ref).items():
        assert not set(task.categories) & plan.categories(system), system
        told = {k["category"] for k in task.kept or []}
        assert told == plan.categories(system) & set(categories_for(rt.policy, rt.policy.system(system)))
    assert KeepPlan.from_json([]) == KeepPlan()
