"""The person page and its forms: what the page shows (titles from the policy, due dates and why, holds, requests,
mailings, the audit trail as sentences for an auditor only), and each form — add a person, correct them, add and
end a relationship, place and release a hold, erase now — with good input, each bad input refused next to its
field, permission refusals, and the audit event committed with the change (or, on a refusal, neither)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from custos.actor import Actor
from custos.audit import AuditEvent
from custos.register import name_index, organisations, people
from custos.register.models import Identity, Person, Relationship
from custos.register.schemas import OrganisationCreate, PersonCreate, RelationshipCreate, RoleSpan
from custos.retention.models import LegalHold, Tombstone
from custos.runtime import Runtime
from custos.systems.models import SystemTask

ACTOR = Actor.system("test")

LoginAs = Callable[..., TestClient]
TODAY = date(2026, 11, 29)  # the conftest's FixedClock


def _add(runtime: Runtime, email: str = "anna@example.se", **relationship: object) -> str:
    rel = {
        "subject_category": "prospect",
        "last_interaction_on": date(2025, 3, 1),
        "source": "Cloud fair",
        **relationship,
    }
    data = PersonCreate(
        name="Anna Prospect",
        title="CTO",
        emails=[email],
        relationships=[RelationshipCreate(**rel)],  # type: ignore[arg-type]
    )
    with runtime.work(ACTOR) as work:
        return people.add_person(work, data).ref


def _customer(runtime: Runtime, name: str = "Kund AB", until: date | None = None) -> int:
    spans = [RoleSpan(role="customer", started_on=date(2015, 1, 1), ended_on=until)]
    with runtime.work(ACTOR) as work:
        return organisations.add_organisation(work, OrganisationCreate(name=name, roles=spans)).id


def _events(runtime: Runtime, action: str, subject: str | None = None) -> list[AuditEvent]:
    with runtime.db.transaction() as session:
        query = select(AuditEvent).where(AuditEvent.action == action)
        if subject is not None:
            query = query.where(AuditEvent.subject == subject)
        found = list(session.scalars(query.order_by(AuditEvent.seq)))
        session.expunge_all()
        return found


def _count(runtime: Runtime, model: type) -> int:
    with runtime.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _field_error(html: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="f-{re.escape(name)}-error">(.*?)</p>', html, re.S)
    assert found is not None, f"no error next to {name}"
    return found.group(1)


# -- the page --------------------------------------------------------------------------------------------------


def test_the_page_names_categories_activities_and_bases_by_their_titles_with_due_dates_and_why(
    client: TestClient, runtime: Runtime
) -> None:
    ref = _add(runtime)
    page = client.get(f"/admin/people/{ref}")
    assert page.status_code == 200, page.text[-3000:]
    assert "<title>Person " + ref[:8] in page.text
    assert "Anna Prospect</title>" not in page.text
    rels = page.text.split('id="relationships"', 1)[1].split('id="holds"', 1)[0]
    assert '<th scope="row">Prospects</th>' in rels  # the policy's title, not `prospect`
    assert "Legitimate interest (Art. 6(1)(f))" in rels
    # Prospects are kept 10 years from the last interaction: due 2035-03-01, and so is the person.
    assert 'data-due="2035-03-01"' in rels
    assert "counted from the last interaction (2025-03-01)" in rels
    assert 'id="person-due" data-due="2035-03-01"' in page.text
    assert "No legal hold covers this person" in page.text
    assert "This person has made no request." in page.text
    assert "The person has not been in any mailing." in page.text
    assert [e.subject for e in _events(runtime, "person.read")] == [ref]


def test_the_audit_trail_is_sentences_newest_first_and_only_for_audit_readers(
    client: TestClient, login_as: LoginAs, runtime: Runtime
) -> None:
    ref = _add(runtime)
    client.get(f"/admin/people/{ref}")
    client.post(f"/admin/people/{ref}/holds", data={"reason": "Claim 2026:17"})
    page = client.get(f"/admin/people/{ref}")
    trail = page.text.split('id="trail"', 1)[1]
    sentences = re.findall(r"</span> (.*?)</li>", trail)
    # Newest first: the look after placing the hold, the hold, the first look (this look comes after the read).
    assert sentences == [
        "Test dpo looked at the person.",
        "Test dpo placed a legal hold.",
        "Test dpo looked at the person.",
    ]
    assert "staff:" not in trail
    assert "{" not in trail
    # The look at the trail is recorded with the look at the person: one event per page view, saying so.
    assert [e.details.get("audit_trail") for e in _events(runtime, "person.read", ref)] == [0, 2, 3]
    assert _events(runtime, "audit.read") == []
    officer = login_as("privacy_officer")  # register.read without audit.read
    assert 'id="trail"' not in officer.get(f"/admin/people/{ref}").text


def test_an_unknown_ref_is_a_404_page(client: TestClient) -> None:
    assert client.get("/admin/people/" + "0" * 36).status_code == 404


@pytest.mark.parametrize("role", ["support_agent", "auditor", "account_admin", "system_owner"])
def test_roles_without_register_permissions_are_refused_every_page_and_form(
    login_as: LoginAs, runtime: Runtime, role: str
) -> None:
    ref = _add(runtime)
    web = login_as(role)
    for path in ("", "/correct", "/relationships/new", "/erase"):
        assert web.get(f"/admin/people/{ref}{path}").status_code == 403
    assert web.get("/admin/people/new").status_code == 403
    for path in ("/correct", "/relationships", "/holds", "/erase", "/relationships/1/end", "/holds/1/release"):
        assert web.post(f"/admin/people/{ref}{path}", data={"name": "X"}).status_code == 403
    assert web.post("/admin/people/new", data={"name": "X"}).status_code == 403
    assert _count(runtime, Person) == 1


def test_forms_without_the_csrf_token_are_refused(client: TestClient, runtime: Runtime) -> None:
    ref = _add(runtime)
    token = client.headers.pop("X-CSRF-Token")
    page = client.get(f"/admin/people/{ref}")
    assert f'<input type="hidden" name="csrf_token" value="{token}">' in page.text
    assert client.post(f"/admin/people/{ref}/holds", data={"reason": "Claim 17"}).status_code == 403
    assert client.post("/admin/people/new", data={"name": "X"}).status_code == 403
    assert _count(runtime, LegalHold) == 0


# -- adding a person ------------------------------------------------------------------------------------------


def test_a_new_person_with_a_first_relationship_is_added_and_audited(client: TestClient, runtime: Runtime) -> None:
    form = client.get("/admin/people/new")
    assert form.status_code == 200
    assert '<option value="prospect">Prospects</option>' in form.text
    added = client.post(
        "/admin/people/new",
        data={
            "name": "Bo Besökare",
            "title": "Inköpare",
            "email": "Bo@Example.se",
            "subject_category": "prospect",
            "source": "Cloud fair Stockholm 2025",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    ref = added.headers["location"].removeprefix("/admin/people/").removesuffix("?done=created")
    page = client.get(added.headers["location"])
    assert "The person was added to the register." in page.text
    assert "bo@example.se" in page.text
    # No last interaction given: the day recorded (today) is used, so the prospect is due ten years on.
    assert 'id="person-due" data-due="2036-11-29"' in page.text
    [event] = _events(runtime, "person.create")
    assert event.subject == ref
    assert event.details["activities"] == ["prospects"]


def test_the_register_s_refusals_of_a_new_person_are_shown_next_to_their_fields(
    client: TestClient, runtime: Runtime
) -> None:
    base = {"name": "Cleo Contact", "email": "cleo@example.se", "subject_category": "customer_contact"}
    # A customer contact with no organisation could never fall due (the rule counts from the customer's end).
    never = client.post("/admin/people/new", data=base)
    assert never.status_code == 422
    assert "kept forever" in _field_error(never.text, "organisation_id")
    assert 'value="Cleo Contact"' in never.text  # what was typed is kept
    employee = client.post("/admin/people/new", data={**base, "subject_category": "employee"})
    assert "3 activities for employee" in _field_error(employee.text, "activity")
    nothing = client.post("/admin/people/new", data={"name": "Cleo Contact"})
    assert "choose why" in _field_error(nothing.text, "subject_category")
    unreachable = client.post("/admin/people/new", data={"name": "Cleo", "subject_category": "prospect"})
    assert "email address or phone number" in _field_error(unreachable.text, "email")
    bad = client.post(
        "/admin/people/new",
        data={**base, "subject_category": "prospect", "email": "not an address", "last_interaction_on": "1/3/2025"},
    )
    assert "is not a date" in _field_error(bad.text, "last_interaction_on")
    bad_email = client.post("/admin/people/new", data={**base, "subject_category": "prospect", "email": "nope"})
    assert _field_error(bad_email.text, "email")
    unnamed = client.post("/admin/people/new", data={**base, "name": "", "subject_category": "prospect"})
    assert _field_error(unnamed.text, "name")
    _add(runtime, "taken@example.se")
    taken = client.post("/admin/people/new", data={**base, "subject_category": "prospect", "email": "taken@example.se"})
    assert taken.status_code == 409
    assert "already in the register" in _field_error(taken.text, "email")
    assert _count(runtime, Person) == 1
    assert _events(runtime, "person.create") == []


def test_a_customer_contact_of_a_customer_is_added_with_the_organisation_chosen(
    client: TestClient, runtime: Runtime
) -> None:
    org = _customer(runtime)
    added = client.post(
        "/admin/people/new",
        data={"name": "Dan", "phone": "070-123 45 67", "subject_category": "customer_contact", "organisation_id": org},
    )
    assert added.status_code == 200
    assert "+46701234567" in added.text
    assert "Kund AB" in added.text
    assert 'id="person-due" data-due=""' in added.text  # while the organisation is a customer: no end yet
    # The reason names the fact still to come, not an empty date.
    assert "counted from the day the organisation stopped being a customer, which has not happened yet" in added.text
    assert "(–)" not in added.text


# -- correcting ---------------------------------------------------------------------------------------------------


def test_a_correction_is_a_rectification_in_the_register_and_the_connected_systems(
    client: TestClient, runtime: Runtime
) -> None:
    ref = _add(runtime)
    form = client.get(f"/admin/people/{ref}/correct")
    assert 'value="anna@example.se"' in form.text
    assert "CRM" in form.text  # the systems the correction goes to
    done = client.post(
        f"/admin/people/{ref}/correct",
        data={"name": "Anna Prospect", "title": "CEO", "email": "anna@new.example.se", "old_email": "anna@example.se"},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, f"/admin/people/{ref}?done=corrected")
    page = client.get(done.headers["location"])
    assert '<dd id="emails">anna@new.example.se</dd>' in page.text
    assert "CEO" in page.text
    [event] = _events(runtime, "register.rectify", ref)
    assert event.details["fields"] == ["title", "email"]
    assert "anna" not in event.details_json  # by field name, never by value
    with runtime.work(ACTOR) as work:
        found = people.find_person(work, "email", "anna@new.example.se")
        assert found.ref == ref
        tasks = list(work.session.scalars(select(SystemTask).where(SystemTask.subject_ref == ref)))
    # The example's systems are kept by hand: each owner gets a task saying what to correct.
    assert {t.operation for t in tasks} == {"rectify"}
    assert len(tasks) == len(runtime.policy.systems)
    assert "Test dpo corrected title, email." in page.text


def test_a_corrected_name_is_found_by_its_new_words_and_no_longer_by_the_old(
    client: TestClient, runtime: Runtime
) -> None:
    ref = _add(runtime)
    done = client.post(
        f"/admin/people/{ref}/correct",
        data={"name": "Annika Berg", "title": "CTO", "email": "anna@example.se", "old_email": "anna@example.se"},
    )
    assert done.status_code == 200
    assert "<h1>Annika Berg</h1>" in done.text
    with runtime.db.transaction() as session:
        for words, found in (("annika berg", [ref]), ("prospect", [])):
            clause = name_index.matching(runtime.keys, words)
            assert clause is not None
            assert list(session.scalars(select(Person.ref).where(clause))) == found
    [event] = _events(runtime, "register.rectify", ref)
    assert event.details["fields"] == ["name"]


def test_a_correction_s_refusals_are_next_to_their_fields(client: TestClient, runtime: Runtime) -> None:
    ref = _add(runtime)
    _add(runtime, "other@example.se")
    same = {"name": "Anna Prospect", "title": "CTO", "email": "anna@example.se", "old_email": "anna@example.se"}
    unchanged = client.post(f"/admin/people/{ref}/correct", data=same)
    assert unchanged.status_code == 422
    assert "change at least one field" in _field_error(unchanged.text, "name")
    bad = client.post(f"/admin/people/{ref}/correct", data={**same, "email": "not-an-email"})
    assert _field_error(bad.text, "email")
    assert 'value="not-an-email"' in bad.text
    taken = client.post(f"/admin/people/{ref}/correct", data={**same, "email": "other@example.se"})
    assert "another person" in _field_error(taken.text, "email")
    empty = client.post(f"/admin/people/{ref}/correct", data={**same, "name": ""})
    assert _field_error(empty.text, "name")
    phone = client.post(f"/admin/people/{ref}/correct", data={**same, "phone": "12"})
    assert _field_error(phone.text, "phone")
    assert _events(runtime, "register.rectify") == []
    assert _count(runtime, SystemTask) == 0


# -- relationships ----------------------------------------------------------------------------------------------


def test_a_relationship_is_added_and_a_never_due_one_refused_next_to_its_field(
    client: TestClient, runtime: Runtime
) -> None:
    ref = _add(runtime)
    org = _customer(runtime)
    never = client.post(
        f"/admin/people/{ref}/relationships",
        data={"subject_category": "supplier_contact", "activity": "supplier-contacts"},
    )
    assert never.status_code == 422
    assert "kept forever" in _field_error(never.text, "organisation_id")
    added = client.post(
        f"/admin/people/{ref}/relationships",
        data={"subject_category": "customer_contact", "organisation_id": str(org)},
        follow_redirects=False,
    )
    assert (added.status_code, added.headers["location"]) == (
        303,
        f"/admin/people/{ref}?done=relationship_added#relationships",
    )
    [event] = _events(runtime, "relationship.create", ref)
    assert event.details == {"subject_category": "customer_contact", "activity": "customer-contacts"}
    twice = client.post(
        f"/admin/people/{ref}/relationships", data={"subject_category": "customer_contact", "organisation_id": str(org)}
    )
    assert twice.status_code == 409
    assert "already has this relationship" in twice.text
    assert _count(runtime, Relationship) == 2


def test_ending_a_relationship_shows_the_new_due_date_before_it_is_written(
    client: TestClient, runtime: Runtime
) -> None:
    ref = _add(runtime, subject_category="employee", activity="employment", started_on=date(2020, 1, 1))
    with runtime.db.transaction() as session:
        rel_id = session.scalar(select(Relationship.id))
    page = client.get(f"/admin/people/{ref}")
    assert f'href="/admin/people/{ref}/relationships/{rel_id}/end"' in page.text
    shown = client.post(f"/admin/people/{ref}/relationships/{rel_id}/end", data={"ended_on": "2026-06-30"})
    assert shown.status_code == 200
    due_after = re.search(r'id="due-after" data-due="([\d-]*)"', shown.text)
    assert due_after is not None
    assert due_after.group(1) != ""
    with runtime.db.transaction() as session:
        assert session.scalar(select(Relationship.ended_on)) is None  # nothing written yet
    assert _events(runtime, "relationship.update") == []
    ended = client.post(
        f"/admin/people/{ref}/relationships/{rel_id}/end",
        data={"ended_on": "2026-06-30", "confirm": "yes"},
        follow_redirects=False,
    )
    assert ended.status_code == 303
    after = client.get(ended.headers["location"])
    assert f'id="person-due" data-due="{due_after.group(1)}"' in after.text
    [event] = _events(runtime, "relationship.update", ref)
    assert event.details == {"fields": ["ended_on"]}


def test_an_end_before_the_start_or_not_a_date_is_refused_next_to_the_field(
    client: TestClient, runtime: Runtime
) -> None:
    ref = _add(runtime, subject_category="employee", activity="employment", started_on=date(2020, 1, 1))
    with runtime.db.transaction() as session:
        rel_id = session.scalar(select(Relationship.id))
    early = client.post(f"/admin/people/{ref}/relationships/{rel_id}/end", data={"ended_on": "2019-01-01"})
    assert early.status_code == 422
    assert "before" in _field_error(early.text, "ended_on")
    early_confirmed = client.post(
        f"/admin/people/{ref}/relationships/{rel_id}/end", data={"ended_on": "2019-01-01", "confirm": "yes"}
    )
    assert _field_error(early_confirmed.text, "ended_on")
    garbled = client.post(f"/admin/people/{ref}/relationships/{rel_id}/end", data={"ended_on": "30 June"})
    assert "is not a date" in _field_error(garbled.text, "ended_on")
    missing = client.post(f"/admin/people/{ref}/relationships/{rel_id}/end", data={})
    assert _field_error(missing.text, "ended_on")
    assert client.get(f"/admin/people/{ref}/relationships/999999/end").status_code == 404
    assert _events(runtime, "relationship.update") == []


# -- holds ------------------------------------------------------------------------------------------------------


def test_a_hold_is_placed_and_released_from_the_page_and_audited(client: TestClient, runtime: Runtime) -> None:
    ref = _add(runtime)
    placed = client.post(
        f"/admin/people/{ref}/holds", data={"reason": "Claim 2026:17", "ends_on": "2027-03-31"}, follow_redirects=False
    )
    assert (placed.status_code, placed.headers["location"]) == (303, f"/admin/people/{ref}?done=hold_added#holds")
    page = client.get(placed.headers["location"])
    assert "Claim 2026:17 — from 2026-11-29, until 2027-03-31" in page.text
    [event] = _events(runtime, "retention.hold_add", ref)
    hold_id = re.findall(rf'action="/admin/people/{ref}/holds/(\d+)/release"', page.text)[0]
    assert event.target == f"legal_hold:{hold_id}"
    released = client.post(f"/admin/people/{ref}/holds/{hold_id}/release", follow_redirects=False)
    assert released.headers["location"] == f"/admin/people/{ref}?done=hold_released#holds"
    again = client.post(f"/admin/people/{ref}/holds/{hold_id}/release")
    assert again.status_code == 409
    assert len(_events(runtime, "retention.hold_release", ref)) == 1
    other = _add(runtime, "other@example.se")
    assert client.post(f"/admin/people/{other}/holds/{hold_id}/release").status_code == 404


def test_a_hold_form_s_problems_are_next_to_their_fields(client: TestClient, runtime: Runtime) -> None:
    ref = _add(runtime)
    short = client.post(f"/admin/people/{ref}/holds", data={"reason": "x"})
    assert short.status_code == 422
    assert _field_error(short.text, "reason")
    garbled = client.post(f"/admin/people/{ref}/holds", data={"reason": "Claim 17", "ends_on": "31/03/2027"})
    assert "is not a date" in _field_error(garbled.text, "ends_on")
    assert 'value="Claim 17"' in garbled.text
    assert _count(runtime, LegalHold) == 0
    assert _events(runtime, "retention.hold_add") == []


# -- erasing now ---------------------------------------------------------------------------------------------------


def test_erase_now_confirms_what_goes_and_what_the_law_keeps_then_leaves_a_tombstone(
    client: TestClient, runtime: Runtime
) -> None:
    ref = _add(runtime)
    confirm = client.get(f"/admin/people/{ref}/erase")
    assert confirm.status_code == 200
    assert "anna@example.se" in confirm.text
    assert "Nothing; no law requires keeping any of it." in confirm.text
    wrong = client.post(f"/admin/people/{ref}/erase", data={"confirm": "nope"})
    assert wrong.status_code == 422
    assert _field_error(wrong.text, "confirm")
    assert _count(runtime, Person) == 1
    erased = client.post(f"/admin/people/{ref}/erase", data={"confirm": ref[:8]})
    assert erased.status_code == 200
    assert f"The person {ref} was erased from the register." in erased.text
    assert _count(runtime, Person) == 0
    assert _count(runtime, Identity) == 0
    with runtime.db.transaction() as session:
        [tombstone] = session.scalars(select(Tombstone))
        assert tombstone.subject_ref == ref
        assert tombstone.sweep_id is None
        tasks = list(session.scalars(select(SystemTask).where(SystemTask.subject_ref == ref)))
    assert {t.operation for t in tasks} == {"erase"}  # each manual system's owner is told
    [event] = _events(runtime, "person.erase", ref)
    assert event.details["tombstone"] == tombstone.id
    assert client.get(f"/admin/people/{ref}").status_code == 404


def test_a_hold_stops_erase_now(client: TestClient, runtime: Runtime) -> None:
    ref = _add(runtime)
    client.post(f"/admin/people/{ref}/holds", data={"reason": "Claim 2026:17"})
    confirm = client.get(f"/admin/people/{ref}/erase")
    assert "A legal hold keeps this person" in confirm.text
    assert 'id="erase-form"' not in confirm.text
    refused = client.post(f"/admin/people/{ref}/erase", data={"confirm": ref[:8]})
    assert refused.status_code == 409
    assert _count(runtime, Person) == 1
    assert _events(runtime, "person.erase") == []
    assert _count(runtime, SystemTask) == 0


def test_erase_now_names_what_bookkeeping_keeps(client: TestClient, runtime: Runtime) -> None:
    ref = _add(
        runtime,
        subject_category="employee",
        activity="taxes-and-fees",
        started_on=date(2020, 1, 1),
    )
    confirm = client.get(f"/admin/people/{ref}/erase")
    kept = confirm.text.split('id="kept-heading"', 1)[1].split("</section>", 1)[0]
    assert 'id="kept-list"' in kept
    assert "no end yet" in kept  # the employment still runs: the obligation has no end date yet


def test_the_page_in_swedish(client: TestClient, runtime: Runtime) -> None:
    ref = _add(runtime)
    client.cookies.set("custos_lang", "sv")
    client.get(f"/admin/people/{ref}")
    page = client.get(f"/admin/people/{ref}")
    assert "Berättigat intresse (art. 6.1 f)" in page.text
    assert "Bevarandebeslut" in page.text
    assert "Test dpo tittade på personen." in page.text
