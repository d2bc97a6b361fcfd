"""The promises page as a DPO meets it: every invariant with its state, the records breaking one linked to their
pages with the fix, Swedish wording, each look audited; refused without `doctor.read`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from custos.actor import Actor
from custos.audit import AuditEvent
from custos.invariants import INVARIANTS
from custos.register import people
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.runtime import Runtime
from custos.web.admin import dashboard
from example_install import own_every_system

LoginAs = Callable[..., TestClient]


def _overdue_prospect(runtime: Runtime) -> str:
    data = PersonCreate(
        name="Olle Old",
        emails=["olle@example.se"],
        relationships=[RelationshipCreate(subject_category="prospect", last_interaction_on=date(2012, 4, 1))],
    )
    with runtime.work(Actor(kind="cli", id=None, label="cli:test")) as work:
        return people.add_person(work, data).ref


def test_a_fresh_install_names_the_systems_nobody_can_act_in(client: TestClient) -> None:
    page = client.get("/admin/doctor")
    assert "system-has-owner" in page.text
    assert '<a href="/admin/systems/crm">system crm</a>' in page.text
    assert "its owner has no staff account" in page.text


def test_a_clean_register_shows_every_promise_holding(client: TestClient, runtime: Runtime) -> None:
    own_every_system(runtime)
    page = client.get("/admin/doctor")
    assert page.status_code == 200
    assert f"Every promise holds: {len(INVARIANTS)} checked" in page.text
    assert 'href="/admin/doctor"' in page.text  # in the navigation


def test_a_broken_promise_names_the_record_links_it_and_says_what_to_do(client: TestClient, runtime: Runtime) -> None:
    own_every_system(runtime)
    ref = _overdue_prospect(runtime)
    page = client.get("/admin/doctor")
    assert page.status_code == 200
    assert f"1 of {len(INVARIANTS)} promises are broken" in page.text
    assert f'<a href="/admin/people/{ref}">person {ref}</a>' in page.text
    assert "due since 2022-04-01" in page.text
    assert "custos retention sweep" in page.text
    with runtime.db.transaction() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "doctor.run"))
        assert event.details["broken"] == ["nobody-kept-past-due"]


def test_swedish_wording(client: TestClient, runtime: Runtime) -> None:
    _overdue_prospect(runtime)
    client.get("/admin/language?lang=sv&next=/admin/doctor")
    page = client.get("/admin/doctor")
    assert "Policyns löften i de levande uppgifterna" in page.text
    assert "Ingen sparas efter den dag då relationerna skulle gallras" in page.text
    assert "Vad som ska göras:" in page.text


def test_refused_without_doctor_read(login_as: LoginAs) -> None:
    auditor = login_as("auditor")
    assert auditor.get("/admin/doctor").status_code == 403
    assert 'href="/admin/doctor"' not in auditor.get("/admin").text


def test_the_dashboard_names_the_broken_promises_and_links_to_them(client: TestClient, runtime: Runtime) -> None:
    own_every_system(runtime)
    assert f"All {len(INVARIANTS)} promises hold on live data." in client.get("/admin").text
    _overdue_prospect(runtime)
    page = client.get("/admin").text
    assert f"1 of {len(INVARIANTS)} promises are broken on live data:" in page
    assert '<a href="/admin/doctor#findings-nobody-kept-past-due">Nobody is kept past the day' in page
    client.get("/admin/language?lang=sv&next=/admin")
    assert "Ingen sparas efter den dag" in client.get("/admin").text


def test_the_dashboard_panel_is_only_for_doctor_read(login_as: LoginAs) -> None:
    assert 'id="panel-promises"' not in login_as("auditor").get("/admin").text


def test_on_a_large_register_the_dashboard_shows_the_register_wide_promises_as_of_the_last_check(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashboard, "LIVE_UP_TO", -1)  # as on a register of a million people
    own_every_system(runtime)
    walking = [i for i in INVARIANTS if i.walks_register]
    assert walking, "the catalogue marks the checks that walk the register"
    page = client.get("/admin").text
    assert f"All {len(INVARIANTS) - len(walking)} promises hold on live data." in page
    assert f"{len(walking)} promises that need the whole register have not been checked" in page
    _overdue_prospect(runtime)
    # The prospect past due is not found by the page view: it needs the register walked.
    assert "nobody-kept-past-due" not in client.get("/admin").text
    assert client.get("/admin/doctor").status_code == 200  # a doctor run, audited
    page = client.get("/admin").text
    assert f"1 of {len(INVARIANTS)} promises are broken on live data:" in page
    assert '<a href="/admin/doctor#findings-nobody-kept-past-due">' in page
    assert 'id="promises-as-of"' in page
    assert "promises-unchecked" not in page


def test_the_daily_doctor_job_records_what_it_checked(runtime: Runtime) -> None:
    from custos.jobs.registry import DOCTOR, default_jobs

    own_every_system(runtime)
    _overdue_prospect(runtime)
    job = next(j for j in default_jobs(runtime) if j.name == DOCTOR)
    job.run()
    with runtime.db.transaction() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "doctor.run")).one()
        assert event.actor_kind == "system"
        assert set(event.details["checked"]) == {i.id for i in INVARIANTS}  # type: ignore[arg-type]
        assert event.details["broken"] == ["nobody-kept-past-due"]
