"""Issue 13, item 1: every person the register holds has a relationship, and every relationship can fall due.

The README's own `people add` example once set no last-interaction date, so the prospect rule (ten years from
the last interaction) never made the person due; the API accepted a person with no relationship at all.
"""

from __future__ import annotations

import csv
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select

from cli_run import run_cli
from custos.actor import Actor
from custos.errors import InvalidInput
from custos.policy import Anchor, Duration, RetentionFacts, add_duration, due_date, load_policy
from custos.register import lawful, people
from custos.register.importer import import_file
from custos.register.models import Person, Relationship
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = load_policy(ROOT / "examples" / "elastx" / "policy.yaml")
TEN_YEARS = Duration(years=10)
ACTOR = Actor(kind="cli", id=None, label="cli:test")
ANNA: dict[str, Any] = {"name": "Anna Lindqvist", "emails": ["anna@example.se"]}


# -- the README's example ---------------------------------------------------------------------------------


def test_the_readme_prospect_is_in_the_plan_ten_years_after_it_was_recorded(
    cli_env: dict[str, str], runtime: Runtime, tmp_path: Path
) -> None:
    code, out = run_cli(
        cli_env,
        *("people", "add", "--name", "Anna Lindqvist", "--email", "anna@example.se"),
        *("--category", "prospect", "--source", "Cloud fair 2025"),
    )
    assert code == 0, out
    with runtime.db.transaction() as session:
        ref = session.scalars(select(Person.ref)).one()
        rel = session.scalars(select(Relationship)).one()
    # The CLI runs on the system clock: the day recorded is the last interaction known.
    assert rel.last_interaction_on == rel.collected_on
    assert f"last contact: {rel.collected_on}" in out
    code, out = run_cli(cli_env, "retention", "plan", "--at", "2100-01-01", "--csv", str(tmp_path / "plan.csv"))
    assert code == 0, out
    assert ref in out
    with (tmp_path / "plan.csv").open() as handle:
        rows = [(r["person_ref"], r["action"], r["activity"], r["anchor"], r["due_on"]) for r in csv.DictReader(handle)]
    due = add_duration(rel.collected_on, TEN_YEARS)
    assert rows == [(ref, "erase", "prospects", "last_interaction", due.isoformat())]


def test_the_cli_refuses_a_customer_contact_with_no_organisation(cli_env: dict[str, str], runtime: Runtime) -> None:
    code, out = run_cli(
        cli_env, "people", "add", "--name", "Bo", "--email", "bo@example.se", "--category", "customer_contact"
    )
    assert code == 1
    assert "could never fall due" in out
    assert "organisation_id" in out
    assert "Traceback" not in out
    with runtime.db.transaction() as session:
        assert session.scalar(select(Person.id)) is None


# -- the API --------------------------------------------------------------------------------------------------


def test_a_person_with_no_relationship_is_refused(client: TestClient) -> None:
    response = client.post("/api/v1/people", json={**ANNA, "relationships": []})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    [problem] = error["problems"]
    assert problem["location"] == "relationships"
    assert "no legal basis" in problem["message"]
    assert client.post("/api/v1/people", json=ANNA).status_code == 422  # left out is the same as empty
    assert client.get("/api/v1/people").json()["total"] == 0


def test_a_prospect_met_on_a_day_is_counted_from_that_day(client: TestClient) -> None:
    met = {"subject_category": "prospect", "started_on": "2025-05-14", "source": "Cloud fair 2025"}
    created = client.post("/api/v1/people", json={**ANNA, "relationships": [met]})
    assert created.status_code == 201, created.text
    [rel] = created.json()["relationships"]
    assert rel["last_interaction_on"] == "2025-05-14"
    # Without any date it is the day recorded (the test clock's 2026-11-29), never a day after today.
    later = {"subject_category": "prospect", "started_on": "2027-01-01"}
    created = client.post("/api/v1/people", json={"name": "Bo", "emails": ["bo@x.se"], "relationships": [later]})
    assert created.json()["relationships"][0]["last_interaction_on"] == "2026-11-29"


def test_a_customer_contact_needs_an_organisation_that_is_or_was_a_customer(client: TestClient) -> None:
    alone = client.post("/api/v1/people", json={**ANNA, "relationships": [{"subject_category": "customer_contact"}]})
    assert alone.status_code == 422
    [problem] = alone.json()["error"]["problems"]
    assert problem["location"] == "relationships[0].organisation_id"
    assert "kept forever" in problem["message"]
    org = client.post("/api/v1/organisations", json={"name": "Leverantör AB", "roles": [{"role": "supplier"}]}).json()
    never = client.post(
        "/api/v1/people",
        json={**ANNA, "relationships": [{"subject_category": "customer_contact", "organisation_id": org["id"]}]},
    )
    assert never.status_code == 422
    [problem] = never.json()["error"]["problems"]
    assert problem["location"] == "relationships[0].organisation_id"
    assert "never been a customer" in problem["message"]
    assert f"/api/v1/organisations/{org['id']}/roles" in problem["hint"]
    assert client.get("/api/v1/people").json()["total"] == 0


def test_emptying_the_date_a_rule_counts_from_is_refused(client: TestClient) -> None:
    person = client.post("/api/v1/people", json={**ANNA, "relationships": [{"subject_category": "prospect"}]}).json()
    rel_id = person["relationships"][0]["id"]
    url = f"/api/v1/people/{person['ref']}/relationships/{rel_id}"
    refused = client.patch(url, json={"last_interaction_on": None})
    assert refused.status_code == 422
    assert refused.json()["error"]["problems"][0]["location"] == "last_interaction_on"
    assert client.get(f"/api/v1/people/{person['ref']}").json()["relationships"][0]["last_interaction_on"]
    # Ending the relationship is fine: the prospect rule still counts from the last interaction.
    assert client.patch(url, json={"ended_on": "2026-11-29"}).status_code == 200


# -- the importer ----------------------------------------------------------------------------------------------


def test_an_import_that_would_keep_contacts_forever_imports_nothing(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "fair.csv"
    path.write_text("name,email,met_on\nAnna,anna@example.se,2025-05-14\nBo,bo@example.se,\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        import_file(runtime, ACTOR, path, "prospects", subject_category="customer_contact")
    assert [p.line for p in refused.value.problems] == [2, 3]
    assert all("no organisation" in p.message for p in refused.value.problems)
    with runtime.db.transaction() as session:
        assert session.scalar(select(Person.id)) is None


def test_an_imported_prospect_without_dates_falls_due_from_the_day_imported(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "fair.csv"
    path.write_text("name,email\nBo,bo@example.se\n", encoding="utf-8")
    import_file(runtime, ACTOR, path, "prospects")
    with runtime.db.transaction() as session:
        rel = session.scalars(select(Relationship)).one()
    assert rel.last_interaction_on == date(2026, 11, 29)


# -- live data: what `custos doctor` lists, and the repair -------------------------------------------------------


def _legacy(runtime: Runtime, **relationship: Any) -> str:
    """A person written before the register refused it: straight into the tables."""
    with runtime.work(ACTOR) as work:
        ref = people.add_person(
            work,
            PersonCreate(name="Old", emails=[f"{uuid.uuid4().hex}@example.se"], relationships=[_prospect()]),
        ).ref
        person_id = work.session.scalar(select(Person.id).where(Person.ref == ref))
        work.session.execute(delete(Relationship).where(Relationship.person_id == person_id))
        if relationship:
            values = {
                "person_id": person_id,
                "legal_basis": "legitimate_interest",
                "collected_on": date(2012, 3, 1),
                "created_at": runtime.clock.now(),
                "updated_at": runtime.clock.now(),
                **relationship,
            }
            work.session.execute(insert(Relationship), [values])
    return ref


def _prospect() -> RelationshipCreate:
    return RelationshipCreate(subject_category="prospect", last_interaction_on=date(2026, 1, 1))


def test_live_data_helpers_name_each_breach_with_its_fix_and_settle_dates_repairs(
    cli_env: dict[str, str], runtime: Runtime
) -> None:
    lonely = _legacy(runtime)
    undated = _legacy(runtime, subject_category="prospect", activity="prospects")
    orphan = _legacy(runtime, subject_category="customer_contact", activity="customer-contacts")
    with runtime.db.transaction() as session:
        [no_basis] = list(lawful.people_without_basis(session, runtime.policy))
        never = list(lawful.relationships_never_due(session, runtime.policy))
    assert (no_basis.person_ref, no_basis.relationship_id) == (lonely, None)
    assert "no legal basis" in no_basis.reason
    assert [(b.person_ref, b.reason.split(":")[0]) for b in never] == [
        (orphan, "organisation_id"),  # in the policy's order of activities: customer contacts first
        (undated, "last_interaction_on"),
    ]
    assert "PATCH /api/v1/people/" in never[0].fix
    assert "custos people settle-dates" in never[1].fix
    code, out = run_cli(cli_env, "people", "settle-dates")
    assert code == 0, out
    assert "1 relationship(s)" in out
    with runtime.db.transaction() as session:
        assert [b.person_ref for b in lawful.relationships_never_due(session, runtime.policy)] == [orphan]
        settled = session.scalars(
            select(Relationship.last_interaction_on).join(Person).where(Person.ref == undated)
        ).one()
    assert settled == date(2012, 3, 1)  # the day it was recorded: due 2022, so the next sweep erases it


# -- the rules, over every anchor -------------------------------------------------------------------------------

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@settings(max_examples=200, deadline=None)
@given(
    activity=st.sampled_from(EXAMPLE.activities),
    started=st.none() | days,
    last=st.none() | days,
    collected=days,
    on=days,
    organisation=st.sampled_from([None, "customer", "supplier", "partner"]),
    ended=days,
)
def test_a_relationship_the_register_accepts_falls_due_once_it_and_its_organisation_end(
    activity: Any,
    started: date | None,
    last: date | None,
    collected: date,
    on: date,
    organisation: str | None,
    ended: date,
) -> None:
    rule = activity.retention
    dates = lawful.with_defaults(rule, lawful.Dates(started, None, last, collected), on)
    # A default is never a day after the write, nor does it move a date the caller gave.
    assert last is None or dates.last_interaction_on == last
    assert started is None or dates.started_on == started
    if last is None and dates.last_interaction_on is not None:
        assert dates.last_interaction_on <= on
    if started is None and dates.started_on is not None:
        assert dates.started_on <= on
    roles = frozenset([organisation]) if organisation else frozenset()
    gap = lawful.never_due(activity.id, rule, dates, organisation_id=1 if organisation else None, roles=roles)
    if gap is not None:
        assert gap.field == "organisation_id"  # only a person can name the organisation; dates are defaulted
        return
    # Accepted: once the relationship has ended and the organisation has stopped holding every role, it is due.
    end = max(ended, *(d for d in (dates.started_on, dates.last_interaction_on, dates.collected_on) if d))
    facts = RetentionFacts(
        collected=dates.collected_on,
        relationship_started=dates.started_on,
        relationship_ended=end,
        last_interaction=dates.last_interaction_on,
        customer_until=end if organisation == "customer" else None,
        supplier_until=end if organisation == "supplier" else None,
        partner_until=end if organisation == "partner" else None,
        financial_year_ended=date(end.year, 12, 31),
    )
    assert due_date(rule, facts) is not None, (activity.id, rule.from_ is Anchor.LAST_INTERACTION)
