"""The sweep as a user sees it: open relationships kept, mixed people trimmed, holds respected, the legal
minimum kept, nothing done twice, nothing findable afterwards, every erasure in the audit log."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from retention_helpers import exists, tombstones
from sqlalchemy import func, select

from conftest import SWEEPER, AddOrganisation, AddPerson, SweepOn, at
from custos.audit import AuditEvent, verify
from custos.casework import holds as placing
from custos.clock import FixedClock
from custos.errors import NotFound
from custos.register import people
from custos.register.models import Identity, Person, Relationship
from custos.retention import holds
from custos.retention.models import RetentionTask
from custos.retention.schemas import HoldCreate
from custos.retention.sweep import run_sweep
from custos.runtime import Runtime, open_runtime
from custos.settings import Settings

TODAY = date(2026, 11, 29)


def _erase_events(runtime: Runtime, ref: str) -> list[AuditEvent]:
    with runtime.db.transaction() as session:
        return list(
            session.scalars(select(AuditEvent).where(AuditEvent.subject == ref, AuditEvent.action.like("%.erase")))
        )


def test_open_relationships_have_no_due_date(
    runtime: Runtime, add_org: AddOrganisation, add_person: AddPerson, sweep_on: SweepOn
) -> None:
    customer = add_org(customer=(date(2001, 1, 1), None))
    contact = add_person("still@customer.se", [{"subject_category": "customer_contact", "organisation_id": customer}])
    employee = add_person(
        "still@employed.se",
        [{"subject_category": "employee", "activity": "employment", "started_on": date(1999, 1, 1)}],
    )
    report = sweep_on(date(2090, 1, 1))
    assert report.planned == 0
    assert exists(runtime, contact)
    assert exists(runtime, employee)


def test_a_mixed_person_loses_only_the_due_relationship(
    runtime: Runtime, add_org: AddOrganisation, add_person: AddPerson, sweep_on: SweepOn
) -> None:
    customer = add_org(customer=(date(2018, 1, 1), None))
    ref = add_person(
        "mixed@example.se",
        [
            {"subject_category": "prospect", "last_interaction_on": date(2015, 1, 10)},
            {"subject_category": "customer_contact", "organisation_id": customer},
        ],
        phone="+46 70 123 45 67",
    )
    report = sweep_on(TODAY)
    assert (report.erased, report.trimmed) == (0, 1)
    with runtime.work(SWEEPER) as work:
        person = people.find_person(work, "email", "mixed@example.se")
    assert [r.subject_category for r in person.relationships] == ["customer_contact"]
    assert person.phones == ["+46701234567"]  # still needed by the customer relationship
    assert person.title == "CTO"
    (stone,) = tombstones(runtime, ref)
    assert stone.action == "trim"
    assert [e["activity"] for e in stone.entries] == ["prospects"]
    assert stone.counts["register"] == {"person": 0, "identities": 0, "relationships": 1, "fields": []}
    assert [e.action for e in _erase_events(runtime, ref)] == ["relationship.erase"]


def test_legal_holds_on_a_person_and_an_organisation_stop_erasure_while_active(
    runtime: Runtime, clock: FixedClock, add_org: AddOrganisation, add_person: AddPerson, sweep_on: SweepOn
) -> None:
    former = add_org(customer=(date(2005, 1, 1), date(2012, 3, 31)))
    by_org = add_person("org.held@example.se", [{"subject_category": "customer_contact", "organisation_id": former}])
    by_person = add_person(
        "person.held@example.se", [{"subject_category": "prospect", "last_interaction_on": date(2014, 5, 1)}]
    )
    clock.set(at(TODAY))
    with runtime.work(SWEEPER) as work:
        placing.add_hold(
            work, HoldCreate(organisation_id=former, reason="Dispute over invoices", ends_on=date(2026, 12, 31))
        )
        person_hold = placing.add_hold(work, HoldCreate(person_ref=by_person, reason="Claim 2026-17"))
    report = sweep_on(TODAY)
    assert (report.planned, report.held) == (0, 2)
    assert exists(runtime, by_org)
    assert exists(runtime, by_person)
    # The organisation's hold ends with 2026; the person's holds until released.
    report = sweep_on(date(2027, 1, 1))
    assert (report.erased, report.held) == (1, 1)
    assert not exists(runtime, by_org)
    assert exists(runtime, by_person)
    with runtime.work(SWEEPER) as work:
        holds.release_hold(work, person_hold.id)
    assert sweep_on(date(2027, 1, 2)).erased == 1
    assert not exists(runtime, by_person)


def test_a_hold_placed_after_planning_still_stops_the_erasure(
    runtime: Runtime, clock: FixedClock, add_person: AddPerson
) -> None:
    ref = add_person(
        "late.hold@example.se", [{"subject_category": "prospect", "last_interaction_on": date(2010, 1, 1)}]
    )
    clock.set(at(TODAY))

    def hold_when_planned(phase: str, done: int, total: int) -> None:
        if phase == "planning" and done == 1:
            with runtime.work(SWEEPER) as work:
                placing.add_hold(work, HoldCreate(person_ref=ref, reason="Litigation hold"))

    (report,) = run_sweep(runtime, SWEEPER, trigger="job", progress=hold_when_planned)
    assert (report.planned, report.erased, report.skipped) == (1, 0, 1)
    assert exists(runtime, ref)
    with runtime.db.transaction() as session:
        assert session.scalar(select(RetentionTask.note)) == "held"


def test_bookkeeping_keeps_a_person_anonymised_of_what_it_does_not_process(
    runtime: Runtime, add_person: AddPerson, sweep_on: SweepOn
) -> None:
    """Employment ended 2016 (due 2026-02-28); the last accounting record is from 2019, so Bokföringslagen
    7 kap. 2 § keeps it through 2026: the bookkeeping relationship and the name stay, the rest goes."""
    ref = add_person(
        "former.employee@example.se",
        [
            {"subject_category": "employee", "activity": "employment", "ended_on": date(2016, 2, 29)},
            {"subject_category": "employee", "activity": "bookkeeping", "ended_on": date(2019, 12, 15)},
        ],
        phone="+46 8 123 456 78",
    )
    assert sweep_on(TODAY).trimmed == 1
    with runtime.work(SWEEPER) as work:
        session = work.session
        person = session.scalar(select(Person).where(Person.ref == ref))
        assert person is not None
        assert person.title_enc is None
        assert session.scalar(select(func.count()).select_from(Identity).where(Identity.person_id == person.id)) == 0
        activities = session.scalars(select(Relationship.activity).where(Relationship.person_id == person.id)).all()
        assert activities == ["bookkeeping"]
        with pytest.raises(NotFound):
            people.find_person(work, "email", "former.employee@example.se")
    (stone,) = tombstones(runtime, ref)
    assert stone.counts["register"]["fields"] == ["title", "email", "phone"]
    assert sweep_on(date(2026, 12, 31)).erased == 0
    assert sweep_on(date(2027, 1, 1)).erased == 1
    assert not exists(runtime, ref)


def test_data_a_law_requires_is_kept_as_an_anonymous_record_until_the_law_lets_go(
    runtime: Runtime, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    """A policy whose supplier contacts also process invoices, kept 2 years: the contact is erased on time,
    the invoice category is retained under Bokföringslagen until 2028-01-01, and only then released."""
    text = (Path(settings.policy_path)).read_text()
    original = (
        "    subjects: [supplier_contact]\n    data: [contact.*]\n"
        "    retention:\n      while: organisation.is_supplier\n      then: P10Y\n"
    )
    assert original in text
    variant = tmp_path / "policy.yaml"
    variant.write_text(
        text.replace(original, original.replace("[contact.*]", "[contact.*, finance.invoice]").replace("P10Y", "P2Y"))
    )
    rt = open_runtime(replace(settings, policy_path=variant), clock)
    try:
        from custos.register import organisations
        from custos.register.schemas import OrganisationCreate, PersonCreate, RelationshipCreate, RoleSpan

        with rt.work(SWEEPER) as work:
            org = organisations.add_organisation(
                work,
                OrganisationCreate(
                    name="Supplier AB",
                    roles=[RoleSpan(role="supplier", started_on=date(2010, 1, 1), ended_on=date(2020, 6, 30))],
                ),
            )
            ref = people.add_person(
                work,
                PersonCreate(
                    name="Sven Supplier",
                    emails=["sven@supplier.se"],
                    relationships=[
                        RelationshipCreate(
                            subject_category="supplier_contact", activity="supplier-contacts", organisation_id=org.id
                        )
                    ],
                ),
            ).ref

        def sweep(day: date) -> int:
            clock.set(at(day))
            return run_sweep(rt, SWEEPER, trigger="job")[-1].erased

        assert sweep(date(2022, 6, 29)) == 0
        assert sweep(date(2022, 6, 30)) == 1
        assert not exists(rt, ref)
        (stone,) = tombstones(rt, ref)
        assert (stone.state, stone.retained_until) == ("retained_under_law", date(2028, 1, 1))
        (entry,) = stone.entries
        assert entry["retained_categories"] == ["finance.invoice"]
        assert entry["laws"] == ["Bokföringslagen (1999:1078) 7 kap. 2 §"]
        trail = repr((stone.entries, stone.counts))
        assert "sven" not in trail.lower()
        assert "Supplier AB" not in trail
        clock.set(at(date(2027, 12, 31)))
        assert run_sweep(rt, SWEEPER, trigger="job")[-1].released == 0
        clock.set(at(date(2028, 1, 1)))
        assert run_sweep(rt, SWEEPER, trigger="job")[-1].released == 1
        assert tombstones(rt, ref)[0].state == "released"
    finally:
        rt.close()


def test_sweeping_twice_erases_once_and_leaves_one_complete_tombstone_each(
    runtime: Runtime, add_person: AddPerson, sweep_on: SweepOn
) -> None:
    refs = [
        add_person(f"p{i}@example.se", [{"subject_category": "prospect", "last_interaction_on": date(2012, 1, i + 1)}])
        for i in range(7)
    ]
    keep = add_person("recent@example.se", [{"subject_category": "prospect", "last_interaction_on": date(2020, 1, 1)}])
    first = sweep_on(TODAY, batch=3)
    second = sweep_on(TODAY, batch=3)
    assert (first.planned, first.erased) == (7, 7)
    assert (second.planned, second.erased) == (0, 0)
    for ref in refs:
        assert not exists(runtime, ref)
        (stone,) = tombstones(runtime, ref)
        assert stone.sweep_id == first.id
        assert stone.task_id is not None
        assert [e.action for e in _erase_events(runtime, ref)] == ["person.erase"]
    assert exists(runtime, keep)


def test_after_erasure_nobody_is_found_by_email_or_phone_and_the_log_is_intact(
    runtime: Runtime, add_person: AddPerson, sweep_on: SweepOn
) -> None:
    ref = add_person(
        "gone@example.se",
        [{"subject_category": "prospect", "last_interaction_on": date(2011, 6, 1)}],
        phone="070-765 43 21",
    )
    sweep_on(TODAY)
    with runtime.work(SWEEPER) as work:
        with pytest.raises(NotFound):
            people.find_person(work, "email", "gone@example.se")
        with pytest.raises(NotFound):
            people.find_person(work, "phone", "+46 70 765 43 21")
    (event,) = _erase_events(runtime, ref)
    assert event.action == "person.erase"
    assert event.actor_label == "system:retention-sweep"
    assert event.details["tombstone"] == tombstones(runtime, ref)[0].id
    assert event.details["identities"] == 2
    assert verify(runtime.db).ok
