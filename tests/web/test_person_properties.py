"""Two promises of the person page, over random histories made through its forms (hypothesis):

- whatever corrections, added relationships, ends and holds are applied, the due date the page shows for each
  relationship, and for the person, is the policy's pure due date (`policy.retention.due_date`) on the
  register's facts: each relationship's from its activity's rule, the person's the last of them (none while
  one has no end);
- erase now never tells any system to erase a category `retention.keep.kept_on` keeps that day, a hold stops it
  entirely, and the tombstone names every kept category.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from itertools import count

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import select

from custos.actor import Actor
from custos.policy.retention import due_date
from custos.register import organisations, people
from custos.register.models import OrganisationRole, Person, Relationship
from custos.register.schemas import OrganisationCreate, PersonCreate, RelationshipCreate, RoleSpan
from custos.retention.facts import RelationshipRow, facts_for
from custos.retention.keep import kept_on
from custos.retention.loader import load_people
from custos.retention.models import Tombstone
from custos.retention.rules import CompiledPolicy
from custos.runtime import Runtime
from custos.systems.models import SystemTask

ACTOR = Actor.system("test")

TODAY = date(2026, 11, 29)  # the conftest's FixedClock
_numbers = count(1)

days = st.dates(min_value=date(2012, 1, 1), max_value=TODAY)
# (category, activity, needs an organisation)
KINDS = [
    ("prospect", "prospects", False),
    ("employee", "employment", False),
    ("employee", "taxes-and-fees", False),
    ("employee", "bookkeeping", False),
    ("customer_contact", "customer-contacts", True),
    ("supplier_contact", "supplier-contacts", True),
]
step = st.one_of(
    st.tuples(st.just("relate"), st.sampled_from(range(len(KINDS))), days, days),
    st.tuples(st.just("end"), st.integers(0, 5), days),
    st.tuples(st.just("correct"), st.sampled_from(["title", "email", "phone"])),
    st.tuples(st.just("hold"), st.booleans()),
    st.tuples(
        st.just("release"),
    ),
)
SLOW = hsettings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def _organisation(runtime: Runtime, role: str, ended: date | None) -> int:
    n = next(_numbers)
    spans = [RoleSpan(role=role, started_on=date(2010, 1, 1), ended_on=ended)]  # type: ignore[arg-type]
    with runtime.work(ACTOR) as work:
        data = OrganisationCreate(name=f"Org {n}", roles=spans)
        return organisations.add_organisation(work, data).id


def _person(runtime: Runtime, first: date) -> str:
    n = next(_numbers)
    data = PersonCreate(
        name=f"Person {n}",
        emails=[f"p{n}@example.se"],
        relationships=[RelationshipCreate(subject_category="prospect", last_interaction_on=first)],
    )
    with runtime.work(ACTOR) as work:
        return people.add_person(work, data).ref


def _pure_dues(runtime: Runtime, ref: str) -> tuple[dict[int, date | None], date | None]:
    """Each relationship's due date by the policy's pure rule on the register's rows, and the person's."""
    rules = CompiledPolicy.of(runtime.policy)
    with runtime.db.transaction() as session:
        rows = session.scalars(select(Relationship).join(Person).where(Person.ref == ref)).all()
        dues: dict[int, date | None] = {}
        for rel in rows:
            spans = []
            if rel.organisation_id is not None:
                spans = [
                    (r.role, r.started_on, r.ended_on)
                    for r in session.scalars(
                        select(OrganisationRole).where(OrganisationRole.organisation_id == rel.organisation_id)
                    )
                ]
            row = RelationshipRow(
                rel.id,
                rel.person_id,
                rel.subject_category,
                rel.activity,
                rel.organisation_id,
                rel.started_on,
                rel.ended_on,
                rel.last_interaction_on,
                rel.collected_on,
            )
            facts = facts_for(row, spans, TODAY, rules.role_of_category.get(rel.subject_category))
            dues[rel.id] = due_date(runtime.policy.activity(rel.activity).retention, facts)
    values = list(dues.values())
    person = None if not values or any(v is None for v in values) else max(v for v in values if v is not None)
    return dues, person


def _shown(html: str) -> tuple[dict[int, date | None], date | None]:
    rels = {
        int(rel_id): date.fromisoformat(day) if day else None
        for rel_id, day in re.findall(r'<tr id="relationship-(\d+)" data-due="([\d-]*)"', html)
    }
    person = re.search(r'id="person-due" data-due="([\d-]*)"', html)
    assert person is not None
    return rels, date.fromisoformat(person.group(1)) if person.group(1) else None


@SLOW
@given(first=days, steps=st.lists(step, min_size=1, max_size=6))
def test_the_page_s_due_dates_are_the_policy_s_pure_due_dates_after_any_history_of_forms(
    client: TestClient, runtime: Runtime, first: date, steps: list[tuple[object, ...]]
) -> None:
    ref = _person(runtime, first)
    n = next(_numbers)
    for item in steps:
        kind = item[0]
        if kind == "relate":
            _, index, started, ended_role = item
            category, activity, with_org = KINDS[index]  # type: ignore[index]
            form = {"subject_category": category, "activity": activity, "started_on": str(started)}
            if with_org:
                role = "customer" if category == "customer_contact" else "supplier"
                open_role = ended_role >= TODAY - timedelta(days=30)  # type: ignore[operator]
                form["organisation_id"] = str(_organisation(runtime, role, None if open_role else ended_role))  # type: ignore[arg-type]
            client.post(f"/admin/people/{ref}/relationships", data=form)  # a refusal (duplicate) changes nothing
        elif kind == "end":
            page = client.get(f"/admin/people/{ref}").text
            open_ids = re.findall(rf'href="/admin/people/{ref}/relationships/(\d+)/end"', page)
            if open_ids:
                rel_id = open_ids[int(item[1]) % len(open_ids)]  # type: ignore[call-overload]
                data = {"ended_on": str(item[2]), "confirm": "yes"}
                client.post(f"/admin/people/{ref}/relationships/{rel_id}/end", data=data)
        elif kind == "correct":
            field = item[1]
            data = {"name": f"Person {n}", "title": "", "email": "", "old_email": "", "phone": "", "old_phone": ""}
            data |= {"title": "Manager"} if field == "title" else {}
            data |= {"email": f"new{n}-{next(_numbers)}@example.se", "old_email": ""} if field == "email" else {}
            data |= {"phone": f"+4670{next(_numbers):07d}"} if field == "phone" else {}
            client.post(f"/admin/people/{ref}/correct", data=data)
        elif kind == "hold":
            until = "" if item[1] else str(TODAY + timedelta(days=30))
            client.post(f"/admin/people/{ref}/holds", data={"reason": "Claim under review", "ends_on": until})
        else:
            page = client.get(f"/admin/people/{ref}").text
            for hold_id in re.findall(rf'action="/admin/people/{ref}/holds/(\d+)/release"', page):
                client.post(f"/admin/people/{ref}/holds/{hold_id}/release")
        page = client.get(f"/admin/people/{ref}")
        assert page.status_code == 200
        assert _shown(page.text) == _pure_dues(runtime, ref)


@SLOW
@given(
    started=days,
    ended=st.one_of(st.none(), days),
    activities=st.lists(st.sampled_from(["employment", "taxes-and-fees", "bookkeeping"]), min_size=1, unique=True),
    held=st.booleans(),
)
def test_erase_now_never_erases_what_the_law_keeps_and_a_hold_stops_it(
    client: TestClient, runtime: Runtime, started: date, ended: date | None, activities: list[str], held: bool
) -> None:
    ended = max(ended, started) if ended is not None else None
    n = next(_numbers)
    rels = [
        RelationshipCreate(subject_category="employee", activity=a, started_on=started, ended_on=ended)
        for a in activities
    ]
    with runtime.work(ACTOR) as work:
        ref = people.add_person(work, PersonCreate(name=f"E {n}", emails=[f"e{n}@example.se"], relationships=rels)).ref
    if held:
        client.post(f"/admin/people/{ref}/holds", data={"reason": "Claim under review"})
    rules = CompiledPolicy.of(runtime.policy)
    with runtime.db.transaction() as session:
        person_id = session.scalar(select(Person.id).where(Person.ref == ref))
        assert person_id is not None
        plan = kept_on(rules, load_people(session, [person_id], TODAY)[person_id], TODAY)
    confirm = client.get(f"/admin/people/{ref}/erase").text
    for category in plan.categories():
        assert f'data-category="{category}"' in confirm or held  # the page names what the law keeps
    done = client.post(f"/admin/people/{ref}/erase", data={"confirm": ref[:8]})
    with runtime.db.transaction() as session:
        still = session.scalar(select(Person.id).where(Person.ref == ref))
        tasks = list(session.scalars(select(SystemTask).where(SystemTask.subject_ref == ref)))
        tombstones = list(session.scalars(select(Tombstone).where(Tombstone.subject_ref == ref)))
    if held:
        assert done.status_code == 409
        assert still is not None
        assert tasks == []
        assert tombstones == []
        return
    assert done.status_code == 200
    assert still is None
    for task in tasks:
        assert task.operation == "erase"
        assert not set(task.categories) & plan.in_system(task.system_id).categories()
    [tombstone] = tombstones
    retained = {c for entry in tombstone.entries for c in entry["retained_categories"]}
    assert retained == set(plan.categories())
    assert (tombstone.state == "retained_under_law") == bool(plan)
