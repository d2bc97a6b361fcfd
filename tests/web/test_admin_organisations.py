"""The organisations pages: search and role filter, pages, the audited CSV export; an organisation's roles over time
and the people on it (names audited as person.list); adding an organisation and a role period, and ending one
after a confirmation that names how many people's due dates change."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select

from custos.actor import Actor
from custos.audit import AuditEvent
from custos.register import organisations, people
from custos.register.models import OrganisationRole
from custos.register.schemas import OrganisationCreate, PersonCreate, RelationshipCreate, RoleSpan
from custos.runtime import Runtime

ACTOR = Actor.system("test")

LoginAs = Callable[..., TestClient]


def _org(runtime: Runtime, name: str, *spans: RoleSpan, number: str | None = None) -> int:
    with runtime.work(ACTOR) as work:
        data = OrganisationCreate(name=name, org_number=number, roles=list(spans))
        return organisations.add_organisation(work, data).id


def _contact(runtime: Runtime, org_id: int, email: str, name: str = "Kim Kontakt") -> str:
    data = PersonCreate(
        name=name,
        emails=[email],
        relationships=[
            RelationshipCreate(subject_category="customer_contact", organisation_id=org_id, started_on=date(2020, 1, 1))
        ],
    )
    with runtime.work(ACTOR) as work:
        return people.add_person(work, data).ref


def _events(runtime: Runtime, action: str) -> list[AuditEvent]:
    with runtime.db.transaction() as session:
        found = list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))
        session.expunge_all()
        return found


def _token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


CUSTOMER = RoleSpan(role="customer", started_on=date(2019, 1, 1))


def test_list_search_and_filter_by_role_today(client: TestClient, runtime: Runtime) -> None:
    _org(runtime, "Alfa Kund AB", CUSTOMER, number="556000-0001")
    _org(runtime, "Beta Leverantör AB", RoleSpan(role="supplier", started_on=date(2018, 1, 1)))
    _org(
        runtime,
        "Gamma Före detta AB",
        RoleSpan(role="customer", started_on=date(2010, 1, 1), ended_on=date(2015, 1, 1)),
    )
    page = client.get("/admin/organisations")
    assert page.status_code == 200
    assert "3 organisations, by name." in page.text
    customers = client.get("/admin/organisations?role=customer").text
    assert "Alfa Kund AB" in customers
    assert "Gamma Före detta AB" not in customers
    assert "1 organisation, by name." in customers
    found = client.get("/admin/organisations?q=lever").text
    assert "Beta Leverantör AB" in found
    assert "Alfa Kund AB" not in found
    assert "Alfa Kund AB" in client.get("/admin/organisations?q=556000-0001").text
    assert 'id="none-found"' in client.get("/admin/organisations?q=nothing-like-it").text


def test_empty_list_says_what_to_do(client: TestClient) -> None:
    page = client.get("/admin/organisations")
    assert 'id="none"' in page.text
    assert "Add one below" in page.text


def test_pages_of_fifty(client: TestClient, runtime: Runtime) -> None:
    for n in range(55):
        _org(runtime, f"Org {n:02d} AB")
    first = client.get("/admin/organisations").text
    assert "Org 49 AB" in first
    assert "Org 50 AB" not in first
    assert 'rel="next"' in first
    second = client.get("/admin/organisations?offset=50").text
    assert "Org 54 AB" in second
    assert 'rel="prev"' in second


def test_csv_export_is_audited_and_neutralised(client: TestClient, runtime: Runtime) -> None:
    _org(runtime, "=cmd() AB", CUSTOMER)
    _org(runtime, "Vanlig AB")
    export = client.get("/admin/organisations/export.csv?role=customer")
    assert export.status_code == 200, export.text[-600:]
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [r["name"] for r in rows] == ["'=cmd() AB"]
    assert rows[0]["current_roles"] == "customer"
    (event,) = _events(runtime, "organisation.export")
    assert event.details["count"] == 1


def test_organisation_page_shows_roles_and_people_and_audits_the_names(client: TestClient, runtime: Runtime) -> None:
    org = _org(
        runtime,
        "Tidslinje AB",
        RoleSpan(role="customer", started_on=date(2012, 1, 1), ended_on=date(2016, 6, 30)),
        RoleSpan(role="customer", started_on=date(2019, 1, 1)),
        RoleSpan(role="partner", started_on=date(2014, 3, 1), ended_on=date(2015, 3, 1)),
    )
    ref = _contact(runtime, org, "kim@tidslinje.se", "Kim Tidslinje")
    page = client.get(f"/admin/organisations/{org}")
    assert page.status_code == 200
    assert "<title>Organisation · Custos</title>" in page.text
    periods = re.findall(r"<li>(Customer|Partner): ([^<]+)</li>", page.text)
    assert len(periods) == 3
    assert page.text.count('class="period customer') == 2
    assert "Kim Tidslinje" in page.text
    assert "not due while the role lasts" in page.text
    (event,) = _events(runtime, "person.list")
    assert event.details["refs"] == [ref]


def test_add_an_organisation_with_its_first_role(client: TestClient, runtime: Runtime) -> None:
    token = _token(client.get("/admin/organisations").text)
    response = client.post(
        "/admin/organisations",
        data={
            "csrf_token": token,
            "name": "Ny Kund AB",
            "org_number": "559999-0001",
            "role": "customer",
            "started_on": "2026-01-01",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert "The organisation is added." in page.text
    assert "Ny Kund AB" in page.text
    assert _events(runtime, "organisation.create")
    again = client.post(
        "/admin/organisations",
        data={"csrf_token": token, "name": "Dublett AB", "org_number": "559999-0001"},
    )
    assert again.status_code == 409
    assert 'id="f-org_number-error"' in again.text
    empty = client.post("/admin/organisations", data={"csrf_token": token, "name": "", "started_on": "x"})
    assert empty.status_code == 422
    assert 'id="f-name-error"' in empty.text


def test_add_a_role_period_and_refuse_a_second_open_one(client: TestClient, runtime: Runtime) -> None:
    org = _org(runtime, "Roll AB")
    token = _token(client.get(f"/admin/organisations/{org}").text)
    added = client.post(
        f"/admin/organisations/{org}/roles",
        data={"csrf_token": token, "role": "supplier", "started_on": "2024-02-01", "ended_on": ""},
        follow_redirects=False,
    )
    assert added.status_code == 303
    second = client.post(
        f"/admin/organisations/{org}/roles", data={"csrf_token": token, "role": "supplier", "started_on": "2025-01-01"}
    )
    assert second.status_code == 409
    assert "already has an open supplier period" in second.text
    backwards = client.post(
        f"/admin/organisations/{org}/roles",
        data={"csrf_token": token, "role": "partner", "started_on": "2025-01-01", "ended_on": "2024-01-01"},
    )
    assert backwards.status_code == 422
    assert _events(runtime, "organisation.role_add")


def test_ending_a_customer_role_confirms_how_many_due_dates_change(client: TestClient, runtime: Runtime) -> None:
    org = _org(runtime, "Slutar AB", CUSTOMER)
    _contact(runtime, org, "a@slutar.se")
    _contact(runtime, org, "b@slutar.se")
    other = _org(runtime, "Annan AB", CUSTOMER)
    _contact(runtime, other, "c@annan.se")
    token = _token(client.get(f"/admin/organisations/{org}").text)
    asked = client.post(
        f"/admin/organisations/{org}/roles/end",
        data={"csrf_token": token, "role": "customer", "ended_on": "2026-11-01"},
    )
    assert asked.status_code == 200
    assert "2 people&#39;s due dates change" in asked.text or "2 people's due dates change" in asked.text
    with runtime.db.transaction() as session:
        assert (
            session.scalars(select(OrganisationRole.ended_on).where(OrganisationRole.organisation_id == org)).one()
            is None
        )
    stale = client.post(
        f"/admin/organisations/{org}/roles/end",
        data={"csrf_token": token, "role": "customer", "ended_on": "2026-11-01", "people": "5"},
    )
    assert 'id="confirm-end"' in stale.text
    done = client.post(
        f"/admin/organisations/{org}/roles/end",
        data={"csrf_token": token, "role": "customer", "ended_on": "2026-11-01", "people": "2"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    with runtime.db.transaction() as session:
        ended = session.scalars(select(OrganisationRole.ended_on).where(OrganisationRole.organisation_id == org)).one()
    assert ended == date(2026, 11, 1)
    (event,) = _events(runtime, "organisation.role_end")
    assert event.details["due_dates_changed"] == 2
    page = client.get(f"/admin/organisations/{org}").text
    assert "not due while the role lasts" not in page


def test_reading_needs_register_read_and_writing_register_write(login_as: LoginAs, runtime: Runtime) -> None:
    org = _org(runtime, "Behörighet AB", CUSTOMER)
    auditor = login_as("auditor")
    assert auditor.get("/admin/organisations").status_code == 403
    assert auditor.get(f"/admin/organisations/{org}").status_code == 403
