"""Issue 13: a former contact of a current customer is due a bounded time after their own role ended, and a
person held with no relationship at all is due at once (no purpose, no basis: GDPR Art. 5(1)(b), 6(1))."""

from __future__ import annotations

from datetime import date

from retention_helpers import exists, tombstones
from sqlalchemy import delete, select

from conftest import SWEEPER, AddOrganisation, AddPerson, SweepOn
from custos.casework.holds import add_hold
from custos.register.models import Person, Relationship
from custos.retention.plan import NO_RELATIONSHIP, iter_plan, plan_chunk, plan_lines
from custos.retention.rules import CompiledPolicy
from custos.retention.schemas import HoldCreate
from custos.runtime import Runtime
from custos.work import Work


def _plan(runtime: Runtime, on: date) -> list[tuple[str, str, str, date | None]]:
    with runtime.db.transaction() as session:
        planned = list(iter_plan(session, CompiledPolicy.of(runtime.policy), on))
    return [(line.person_ref, line.action, line.anchor, line.due_on) for p in planned for line in plan_lines(p)]


def test_a_former_contact_of_a_current_customer_is_due_a_year_after_their_own_role_ended(
    runtime: Runtime, add_org: AddOrganisation, add_person: AddPerson, sweep_on: SweepOn
) -> None:
    customer = add_org(customer=(date(2015, 1, 1), None))
    former = add_person(
        "former@kund.se",
        [{"subject_category": "customer_contact", "organisation_id": customer, "ended_on": date(2025, 3, 31)}],
    )
    current = add_person("current@kund.se", [{"subject_category": "customer_contact", "organisation_id": customer}])
    assert _plan(runtime, date(2026, 3, 30)) == []
    assert _plan(runtime, date(2026, 3, 31)) == [(former, "erase", "relationship.ended", date(2026, 3, 31))]
    sweep_on(date(2026, 3, 31))
    assert not exists(runtime, former)
    assert exists(runtime, current)
    (stone,) = tombstones(runtime, former)
    (entry,) = stone.entries
    assert (entry["anchor"], entry["due_on"]) == ("relationship.ended", "2026-03-31")
    assert "former contact" in entry["rule"]


def test_the_organisation_stopping_first_still_counts_ten_years_from_then(
    runtime: Runtime, add_org: AddOrganisation, add_person: AddPerson
) -> None:
    # The earlier of the two: the organisation stopped in 2016, the person's own role ended in 2016 too — the
    # `while` no longer holds, and one year after the person's end comes before ten after the organisation's.
    gone = add_org(customer=(date(2010, 1, 1), date(2016, 6, 30)))
    ref = add_person(
        "both@gone.se",
        [{"subject_category": "customer_contact", "organisation_id": gone, "ended_on": date(2016, 6, 30)}],
    )
    assert _plan(runtime, date(2017, 6, 30)) == [(ref, "erase", "relationship.ended", date(2017, 6, 30))]
    # Without an end of their own, the organisation's end decides.
    other = add_person("stays@gone.se", [{"subject_category": "customer_contact", "organisation_id": gone}])
    assert (other, "erase", "organisation.customer_until", date(2026, 6, 30)) in _plan(runtime, date(2026, 6, 30))


def test_a_person_with_no_relationship_is_erased_by_the_sweep_unless_held(
    runtime: Runtime, add_person: AddPerson, sweep_on: SweepOn
) -> None:
    lonely = add_person(
        "lonely@example.se", [{"subject_category": "prospect", "last_interaction_on": date(2026, 1, 1)}]
    )
    held = add_person("held@example.se", [{"subject_category": "prospect", "last_interaction_on": date(2026, 1, 1)}])
    with runtime.db.transaction() as session:  # as if written before the register refused it
        ids = list(session.scalars(select(Person.id).where(Person.ref.in_([lonely, held]))))
        session.execute(delete(Relationship).where(Relationship.person_id.in_(ids)))
        unit = Work(session, runtime.clock, runtime.keys, runtime.policy, SWEEPER)
        add_hold(unit, HoldCreate(person_ref=held, reason="Claim under review"))
    plan = _plan(runtime, date(2026, 11, 29))
    assert sorted(plan) == sorted([(lonely, "erase", "", None), (held, "held", "", None)])
    with runtime.db.transaction() as session:
        [planned] = [p for p in iter_plan(session, CompiledPolicy.of(runtime.policy), date(2026, 11, 29))
                     if p.ref == lonely]  # fmt: skip
        assert plan_lines(planned)[0].rule == NO_RELATIONSHIP
    report = sweep_on(date(2026, 11, 29))
    assert report.erased == 1
    assert not exists(runtime, lonely)
    assert exists(runtime, held)
    (stone,) = tombstones(runtime, lonely)
    assert stone.counts["register"] == {"person": 1, "identities": 1, "relationships": 0, "fields": []}


def test_a_walk_in_small_chunks_finds_every_due_person_once_with_or_without_relationships(
    runtime: Runtime, add_person: AddPerson
) -> None:
    due = {"subject_category": "prospect", "last_interaction_on": date(2010, 1, 1)}
    kept = {"subject_category": "prospect", "last_interaction_on": date(2026, 1, 1)}
    refs = [add_person(f"w{n}@example.se", [due if n % 3 else kept]) for n in range(12)]
    lonely = set(refs[1::4])
    with runtime.db.transaction() as session:
        ids = list(session.scalars(select(Person.id).where(Person.ref.in_(lonely))))
        session.execute(delete(Relationship).where(Relationship.person_id.in_(ids)))
    expected = {ref for n, ref in enumerate(refs) if n % 3} | lonely
    rules = CompiledPolicy.of(runtime.policy)
    found: list[str] = []
    after: int | None = 0
    with runtime.db.transaction() as session:
        while after is not None:
            planned, after = plan_chunk(session, rules, date(2026, 11, 29), date(2026, 11, 29), after, limit=2)
            found += [p.ref for p in planned]
    assert sorted(found) == sorted(expected)
