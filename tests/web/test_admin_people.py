"""The People list in the admin: what it shows, its filters and pages, the search by name kept out of URLs,
the empty state, the audited CSV export, and who may use it."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from custos.actor import Actor
from custos.audit import AuditEvent
from custos.casework import holds as placing
from custos.register import organisations, people
from custos.register.schemas import OrganisationCreate, PersonCreate, RelationshipCreate, RoleSpan
from custos.retention.schemas import HoldCreate
from custos.runtime import Runtime

LoginAs = Callable[..., TestClient]
STAFF = Actor(kind="staff", id=1, label="staff:1")


def _add(runtime: Runtime, name: str, category: str = "prospect", **rel: object) -> str:
    slug = re.sub(r"\W", "", name.lower())
    with runtime.work(STAFF) as work:
        return people.add_person(
            work,
            PersonCreate(
                name=name,
                emails=[f"{slug}@example.se"],
                relationships=[RelationshipCreate(subject_category=category, **rel)],  # type: ignore[arg-type]
            ),
        ).ref


def _org(runtime: Runtime, name: str) -> int:
    with runtime.work(STAFF) as work:
        org = organisations.add_organisation(
            work,
            OrganisationCreate(name=name, roles=[RoleSpan(role="customer", started_on=date(2020, 1, 1))]),
        )
        return org.id


def _events(runtime: Runtime, action: str) -> list[AuditEvent]:
    with runtime.db.transaction() as session:
        found = list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))
        session.expunge_all()
        return found


def _names(html: str) -> list[str]:
    body = html.split('<table id="people-table">', 1)[1] if "people-table" in html else ""
    return re.findall(r'<th scope="row"><a href="/admin/people/[0-9a-f-]+">([^<]+)</a>', body)


def test_an_empty_register_says_what_to_do_next(client: TestClient) -> None:
    page = client.get("/admin/people")
    assert page.status_code == 200
    assert "No people yet: import a CSV at /admin/imports or add one." in page.text
    assert 'href="/admin/imports"' in page.text
    assert 'href="/admin/people/new"' in page.text


def test_the_list_shows_names_titles_organisations_and_due_dates_and_is_audited(
    client: TestClient, runtime: Runtime
) -> None:
    org = _org(runtime, "Nordkod AB")
    anna = _add(runtime, "Anna Lindqvist", last_interaction_on=date(2026, 3, 1))
    per = _add(runtime, "Per Ek", "customer_contact", organisation_id=org)
    page = client.get("/admin/people")
    assert page.status_code == 200
    assert _names(page.text) == ["Per Ek", "Anna Lindqvist"]  # newest first
    assert "Prospects" in page.text
    assert "Customer contacts" in page.text
    assert "Nordkod AB" in page.text
    assert "2036-03-01" in page.text  # ten years after the last interaction
    assert "No due date" in page.text  # a contact of a current customer
    assert "2 people on this page" in page.text
    [listed] = _events(runtime, "person.list")
    assert json.loads(listed.details_json)["refs"] == [per, anna]


def test_a_name_search_is_posted_matches_whole_words_and_is_audited_without_the_words(
    client: TestClient, runtime: Runtime
) -> None:
    both = _add(runtime, "Anna Lind")
    _add(runtime, "Annika Lindqvist")
    _add(runtime, "Åsa Müller")
    found = client.post("/admin/people", data={"q": "lind anna"})
    assert found.status_code == 200
    assert _names(found.text) == ["Anna Lind"]
    assert "found by the words of their name" in found.text
    assert _names(client.post("/admin/people", data={"q": "asa muller"}).text) == ["Åsa Müller"]
    assert _names(client.post("/admin/people", data={"q": "lin"}).text) == []  # no prefixes
    events = _events(runtime, "person.list")
    assert json.loads(events[0].details_json)["refs"] == [both]
    assert all("lind" not in e.details_json.lower() for e in events)  # the searched words are not logged


def test_an_email_or_phone_in_the_search_box_is_matched_exactly(client: TestClient, runtime: Runtime) -> None:
    _add(runtime, "Anna Lind")
    found = client.post("/admin/people", data={"q": " ANNALIND@example.se "})
    assert _names(found.text) == ["Anna Lind"]
    assert "found by email address" in found.text
    bad = client.post("/admin/people", data={"q": "anna@"})
    assert bad.status_code == 422
    assert 'id="f-q-error"' in bad.text


def test_filters_by_category_organisation_source_hold_and_due(client: TestClient, runtime: Runtime) -> None:
    org = _org(runtime, "Fjord AS")
    _add(runtime, "Old Prospect", last_interaction_on=date(2016, 1, 1), source="Fair 2015")
    _add(runtime, "New Prospect", last_interaction_on=date(2026, 6, 1), source="Fair 2026")
    contact = _add(runtime, "Lena Holm", "customer_contact", organisation_id=org)
    with runtime.work(STAFF) as work:
        placing.add_hold(work, HoldCreate(organisation_id=org, reason="Dispute"))

    def shown(**params: str) -> list[str]:
        page = client.get("/admin/people", params=params)
        assert page.status_code == 200, page.text
        return _names(page.text)

    assert shown(category="customer_contact") == ["Lena Holm"]
    assert shown(organisation=str(org)) == ["Lena Holm"]
    assert shown(organisation="fjord") == ["Lena Holm"]  # part of the name, any case
    assert shown(source="Fair 2015") == ["Old Prospect"]
    assert shown(held="1") == ["Lena Holm"]
    assert shown(due="past") == ["Old Prospect"]  # due 2026-01-01, before today (2026-11-29)
    assert shown(due="before", due_before="2036-12-31") == ["New Prospect", "Old Prospect"]
    assert shown(due="before", due_before="2030-01-01") == ["Old Prospect"]
    assert shown(due="none") == ["Lena Holm"]
    # The organisation's name is clear text: a search finds its people too.
    assert _names(client.post("/admin/people", data={"q": "Fjord"}).text) == ["Lena Holm"]
    assert contact  # the ref exists; names are what the page shows
    missing_day = client.get("/admin/people", params={"due": "before", "due_before": "31/12/2036"})
    assert missing_day.status_code == 422
    assert 'id="f-due_before-error"' in missing_day.text
    assert "No one matches" in client.get("/admin/people", params={"category": "employee"}).text


def test_pages_go_on_by_reposting_the_search(client: TestClient, runtime: Runtime) -> None:
    for n in range(53):
        _add(runtime, f"Maja Nummer{n:02d}")
    first = client.post("/admin/people", data={"q": "maja"})
    assert len(_names(first.text)) == 50
    after = re.search(r'<input type="hidden" name="after" value="(\d+)">', first.text)
    assert after is not None
    assert '<input type="hidden" name="q" value="maja">' in first.text  # posted again, never in a link
    assert "?q=" not in first.text
    second = client.post("/admin/people", data={"q": "maja", "after": after.group(1)})
    assert _names(second.text) == ["Maja Nummer02", "Maja Nummer01", "Maja Nummer00"]
    assert "First page" in second.text
    assert "Next page" not in second.text
    listed = [json.loads(e.details_json)["refs"] for e in _events(runtime, "person.list")]
    assert [len(refs) for refs in listed] == [50, 3]


def test_the_csv_export_is_for_the_dpo_holds_the_filtered_list_and_is_audited(
    client: TestClient, login_as: LoginAs, runtime: Runtime
) -> None:
    _add(runtime, "=HYPERLINK Anna", last_interaction_on=date(2026, 3, 1))
    _add(runtime, "Per Ek", "employee", activity="employment", started_on=date(2020, 1, 1), ended_on=date(2025, 1, 1))
    page = client.get("/admin/people")
    assert 'formaction="/admin/people/export"' in page.text
    exported = client.post("/admin/people/export", data={"category": "prospect"})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["name"] for r in rows] == ["'=HYPERLINK Anna"]  # a formula is written as text
    assert rows[0]["categories"] == "Prospects"
    assert rows[0]["due_on"] == "2036-03-01"
    [event] = _events(runtime, "register.export")
    assert json.loads(event.details_json) == {"filters": ["category"], "people": 1}
    officer = login_as("privacy_officer")
    assert 'formaction="/admin/people/export"' not in officer.get("/admin/people").text
    assert officer.post("/admin/people/export", data={}).status_code == 403


def test_a_role_without_the_register_gets_no_list(login_as: LoginAs, runtime: Runtime) -> None:
    _add(runtime, "Anna Lind")
    denied = login_as("auditor").get("/admin/people")
    assert denied.status_code == 403
    assert "Anna" not in denied.text
    assert _events(runtime, "person.list") == []


def test_an_expired_due_date_shows_what_happens_then(client: TestClient, runtime: Runtime) -> None:
    # One prospect met long ago: due before today, so erased by the next sweep.
    _add(runtime, "Old Contact", last_interaction_on=runtime.clock.now().date() - timedelta(days=3700))
    page = client.post("/admin/people", data={"due": "past"})
    assert _names(page.text) == ["Old Contact"]
    assert "erased" in page.text


def test_the_api_searches_by_name_in_a_posted_body(client: TestClient, runtime: Runtime) -> None:
    ref = _add(runtime, "Anna Lind")
    _add(runtime, "Anna Berg")
    found = client.post("/api/v1/people/search", json={"q": "lind anna"})
    assert found.status_code == 200, found.text
    assert found.json() == {
        "items": [{"ref": ref, "name": "Anna Lind", "subject_categories": ["prospect"]}],
        "next_after": None,
    }
    [event] = _events(runtime, "person.list")
    assert json.loads(event.details_json)["refs"] == [ref]
