"""The breach journey's forms in the admin: opening an incident on the organisation's clock (a time the clock
skips or shows twice refused next to the field), a timeline entry, the facts, the risk, the decision, the
notification, the Art. 33(3) document in English and Swedish, the Art. 34 letters after a confirmation of how
many people (to a real SMTP server) or their exception, the customers told, closing; each refused without the
CSRF token and for a reader without `incidents.manage`; the list's filters, pages, CSV export and empty state."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from custos.actor import Actor
from custos.audit.models import AuditEvent
from custos.incidents import service
from custos.incidents.schemas import IncidentCreate, IncidentPublic
from custos.register import organisations, people
from custos.register.schemas import OrganisationCreate, PersonCreate, RelationshipCreate, RoleSpan
from custos.runtime import Runtime
from custos.settings import Settings
from custos.web.admin import incidents as incident_pages
from custos.web.admin.pages import LANG_COOKIE
from smtp_catch import CaughtMail

LoginAs = Callable[..., TestClient]
OFFICER = Actor(kind="staff", id=1, label="staff:1")
GOOD = {
    "summary": "A CRM export was mailed to the wrong customer",
    "reported_by": "Support",
    "kind-confidentiality": "1",
    "aware_at": "2026-11-29 09:15",  # the fixed clock is 10:00 UTC, 11:00 in Stockholm
    "system-crm": "1",
    "data-contact.name": "1",
    "data-contact.email": "1",
    "subjects-customer_contact": "1",
    "role": "controller",
}


@pytest.fixture
def settings(settings: Settings, smtp_server: CaughtMail) -> Settings:
    return smtp_server.settings_for(settings)


def _open(client: TestClient, **fields: str) -> Any:
    return client.post("/admin/incidents/new", data={**GOOD, **fields}, follow_redirects=False)


def _opened(client: TestClient, **fields: str) -> int:
    response = _open(client, **fields)
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/admin/incidents/(\d+)\?done=opened", response.headers["location"])
    assert found is not None
    return int(found.group(1))


def _incident(runtime: Runtime, incident_id: int) -> IncidentPublic:
    with runtime.work(OFFICER) as work:
        return service.get_incident(work, incident_id)


def _events(runtime: Runtime, action: str) -> list[AuditEvent]:
    with runtime.db.transaction() as session:
        found = list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))
        session.expunge_all()
    return found


def _field_error(html: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="f-{re.escape(name)}-error">([^<]*)</p>', html)
    assert found is not None, f"no error next to {name}"
    return found.group(1)


def _post(client: TestClient, incident_id: int, action: str, **fields: str) -> Any:
    return client.post(f"/admin/incidents/{incident_id}/{action}", data=fields, follow_redirects=False)


def test_a_dpo_opens_an_incident_typed_on_the_organisations_clock(client: TestClient, runtime: Runtime) -> None:
    form = client.get("/admin/incidents/new")
    assert form.status_code == 200
    assert 'name="csrf_token"' in form.text
    assert 'value="2026-11-29T11:00"' in form.text  # now, on the clock in Stockholm, filled in
    assert "Customer contacts" in form.text
    assert "Email address" in form.text
    assert "CRM (production)" in form.text
    incident_id = _opened(client)
    incident = _incident(runtime, incident_id)
    assert incident.aware_at == datetime(2026, 11, 29, 8, 15, tzinfo=UTC)  # 09:15 +01:00
    assert incident.systems == ["crm"]
    assert incident.data_categories == ["contact.name", "contact.email"]
    assert incident.subject_categories == ["customer_contact"]
    assert (incident.role, incident.kinds, incident.reported_by) == ("controller", ["confidentiality"], "Support")
    page = client.get(f"/admin/incidents/{incident_id}?done=opened").text
    assert "The incident is open and its 72 hours are running." in page
    assert "2026-11-29 09:15 +01:00" in page
    assert '<time datetime="2026-12-02T08:15:00+00:00" id="deadline">2026-12-02 09:15 +01:00</time>' in page
    assert "Customer contacts" in page
    assert "Name, Email address" in page
    assert [e.target for e in _events(runtime, "incident.open")] == [f"incident:{incident_id}"]


@pytest.mark.parametrize(
    ("fields", "name", "says"),
    [
        ({"aware_at": "2026-10-25 02:30"}, "aware_at", "happens twice in Europe/Stockholm"),
        ({"aware_at": "2026-03-29 02:30"}, "aware_at", "does not exist in Europe/Stockholm"),
        ({"aware_at": "2026-11-30 09:00"}, "aware_at", "after now"),
        ({"aware_at": "yesterday"}, "aware_at", "is not a time"),
        ({"summary": ""}, "summary", "at least 3 characters"),
        ({"kind-confidentiality": ""}, "kinds", "at least 1 item"),
        ({"occurred_at": "2026-11-29 10:00"}, "occurred_at", "occurred_at is after aware_at"),
        ({"role": "processor"}, "customers", "choose the customers"),
        ({"role": ""}, "role", "controller or process"),
    ],
)
def test_a_bad_opening_is_refused_next_to_its_field(
    client: TestClient, runtime: Runtime, fields: dict[str, str], name: str, says: str
) -> None:
    refused = _open(client, **fields)
    assert refused.status_code == 422
    assert says in _field_error(refused.text, name)
    assert 'role="alert"' in refused.text
    assert f'href="#f-{name}"' in refused.text
    assert "A CRM export was mailed" in refused.text or name == "summary"  # what was typed is kept
    assert _events(runtime, "incident.open") == []


def test_the_ambiguous_hour_is_accepted_with_its_offset(client: TestClient, runtime: Runtime) -> None:
    incident_id = _opened(client, aware_at="2026-10-25T02:30+01:00")  # the second 02:30 of that night
    assert _incident(runtime, incident_id).aware_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_as_processor_the_customers_are_named_and_told(client: TestClient, runtime: Runtime) -> None:
    with runtime.work(OFFICER) as work:
        acme = organisations.add_organisation(
            work, OrganisationCreate(name="Acme AB", roles=[RoleSpan(role="customer")])
        ).id
    assert "Acme AB" in client.get("/admin/incidents/new").text
    incident_id = _opened(client, role="processor", **{f"customer-{acme}": "1"})
    incident = _incident(runtime, incident_id)
    assert (incident.role, [c.organisation_id for c in incident.customers]) == ("processor", [acme])
    page = client.get(f"/admin/incidents/{incident_id}").text
    assert f"/admin/incidents/{incident_id}/document?lang=sv&amp;audience=controller" in page
    unconfirmed = _post(client, incident_id, f"customers/{acme}", **{f"channel-{acme}": "email"})
    assert unconfirmed.status_code == 422
    assert "tick the box" in _field_error(unconfirmed.text, f"confirm-{acme}")
    told = _post(client, incident_id, f"customers/{acme}", **{f"channel-{acme}": "email", f"confirm-{acme}": "1"})
    assert told.status_code == 303
    assert _incident(runtime, incident_id).customers[0].state == "notified"
    again = _post(client, incident_id, f"customers/{acme}", **{f"channel-{acme}": "email", f"confirm-{acme}": "1"})
    assert again.status_code == 409
    assert "already been notified" in again.text


def test_note_facts_risk_and_decision(client: TestClient, runtime: Runtime) -> None:
    incident_id = _opened(client)
    assert "write what happened" in _field_error(_post(client, incident_id, "note", note="").text, "note")
    assert _post(client, incident_id, "note", note="The recipient confirmed deletion by phone.").status_code == 303

    bad = _post(client, incident_id, "facts", approx_subjects="many", consequences="Phishing")
    assert "not a whole number" in _field_error(bad.text, "approx_subjects")
    facts = {"consequences": "Phishing", "measures_taken": "Recalled", "approx_subjects": "140", "approx_records": "3"}
    assert _post(client, incident_id, "facts", **facts).status_code == 303
    counted = _post(client, incident_id, "count")
    assert counted.status_code == 303  # nobody in the register: 0 people, 0 records
    assert _incident(runtime, incident_id).approx_subjects == 0

    unreasoned = _post(client, incident_id, "risk", risk="high", risk_reasoning="")
    assert "say why" in _field_error(unreasoned.text, "risk_reasoning")
    assert "choose no risk" in _field_error(_post(client, incident_id, "risk", risk_reasoning="x").text, "risk")
    assert _post(client, incident_id, "risk", risk="high", risk_reasoning="names and emails").status_code == 303

    # Art. 33(1): not notifying needs the risk assessed as none; the refusal is shown at the decision.
    refused = _post(client, incident_id, "decision", decision="not_notify", decision_reasoning="nothing happened")
    assert refused.status_code == 422
    assert "the risk is high" in _field_error(refused.text, "decision")
    short = _post(client, incident_id, "decision", decision="notify", decision_reasoning="yes")
    assert "at least 10 characters" in _field_error(short.text, "decision_reasoning")
    reason = "A high risk: names and emails of 140 customer contacts"
    assert _post(client, incident_id, "decision", decision="notify", decision_reasoning=reason).status_code == 303

    incident = _incident(runtime, incident_id)
    assert (incident.risk, incident.decision, incident.decision_reasoning) == ("high", "notify", reason)
    assert [e.kind for e in incident.timeline] == ["open", "note", "update", "update", "update", "decide"]
    assert incident.timeline[1].note == "The recipient confirmed deletion by phone."
    actions = {e.action for e in _events(runtime, "incident.note") + _events(runtime, "incident.decide")}
    assert actions == {"incident.note", "incident.decide"}
    page = client.get(f"/admin/incidents/{incident_id}").text
    assert "The recipient confirmed deletion by phone." in page
    # The history reads as who did what: the staff member by name, each entry in words.
    timeline = re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S)
    assert timeline is not None
    assert '<strong>Decision</strong> <code>decide</code> <span class="meta">Test dpo</span>' in timeline.group(1)
    assert "staff:" not in timeline.group(1)


def test_the_notification_is_confirmed_and_a_late_one_needs_its_reason(client: TestClient, runtime: Runtime) -> None:
    incident_id = _opened(client, aware_at="2026-11-25 09:00")  # more than 72 hours ago: late
    form = {"recipient": "authority", "phase": "initial", "sent_at": "2026-11-29 10:30", "reference": "IMY-1"}
    unconfirmed = _post(client, incident_id, "notification", **form)
    assert "tick the box" in _field_error(unconfirmed.text, "confirm_notification")
    late = _post(client, incident_id, "notification", confirm_notification="1", **form)
    assert late.status_code == 422
    assert "sent 2026-11-29T09:30:00+00:00" in _field_error(late.text, "late_reason")
    done = _post(client, incident_id, "notification", confirm_notification="1", late_reason="found late", **form)
    assert done.status_code == 303
    incident = _incident(runtime, incident_id)
    assert [(n.phase, n.reference, n.late) for n in incident.notifications] == [("initial", "IMY-1", True)]
    assert incident.decision == "notify"
    page = client.get(f"/admin/incidents/{incident_id}").text
    assert 'name="phase" value="supplement"' in page  # the next one is a supplement (Art. 33(4))


def test_the_art_33_document_in_english_and_swedish_is_audited(client: TestClient, runtime: Runtime) -> None:
    incident_id = _opened(client)
    english = client.get(f"/admin/incidents/{incident_id}/document", params={"lang": "en"})
    assert english.status_code == 200
    for text in ("Nature of the breach", "Art. 33(3)(a)", "A CRM export was mailed", "privacy@elastx.com", "To follow"):
        assert text in english.text
    swedish = client.get(f"/admin/incidents/{incident_id}/document", params={"lang": "sv"})
    article = re.search(r'<article class="art33-document panel" lang="sv".*?</article>', swedish.text, re.S)
    assert article is not None
    body = article.group(0)
    for text in ("Anmälan av personuppgiftsincident", "Incidentens art", "artikel 33.3 a", "Sannolika följder"):
        assert text in body
    assert "konfidentialitet" in body
    assert "ännu inte känt" in body
    assert "Lämnas senare" in body
    for english_word in ("Nature", "Likely", "Measures", "To follow", "not yet known", "phase", "Art. 33"):
        assert english_word not in body
    download = client.get(f"/admin/incidents/{incident_id}/document.html", params={"lang": "sv"})
    assert (
        download.headers["content-disposition"]
        == f'attachment; filename="incident-{incident_id}-art33-authority-sv.html"'
    )
    assert '<html lang="sv">' in download.text
    as_json = client.get(f"/admin/incidents/{incident_id}/document.json", params={"lang": "sv"}).json()
    assert as_json["language"] == "sv"
    assert as_json["likely_consequences"].startswith("ännu inte känt")
    events = _events(runtime, "incident.document")
    assert [(e.target, e.details["language"]) for e in events] == [
        (f"incident:{incident_id}", lang) for lang in ("en", "sv", "sv", "sv")
    ]


def test_the_letters_go_after_confirming_how_many_people(
    client: TestClient, runtime: Runtime, smtp_server: CaughtMail
) -> None:
    with runtime.work(OFFICER) as work:
        acme = organisations.add_organisation(
            work, OrganisationCreate(name="Acme AB", roles=[RoleSpan(role="customer")])
        ).id
        for name, email in (("Anna Andersson", "anna@example.se"), ("Bo Berg", "bo@example.se")):
            relationship = RelationshipCreate(subject_category="customer_contact", organisation_id=acme)
            people.add_person(work, PersonCreate(name=name, emails=[email], relationships=[relationship]))
    incident_id = _opened(client)
    early = client.get(f"/admin/incidents/{incident_id}/letters")
    assert "only when the risk is high" in early.text
    assert 'id="letters-form"' not in early.text
    _post(client, incident_id, "risk", risk="high", risk_reasoning="names and emails of customer contacts")
    confirm = client.get(f"/admin/incidents/{incident_id}/letters")
    assert "2 people are in the incident&#39;s scope." in confirm.text
    assert "Send 2 letters now" in confirm.text
    assert smtp_server.messages == []
    changed = _post(client, incident_id, "letters", people="3", language="sv")
    assert changed.status_code == 422
    assert "changed since the page was shown" in changed.text
    assert smtp_server.messages == []
    sent = _post(client, incident_id, "letters", people="2", language="sv")
    assert sent.status_code == 303
    assert smtp_server.recipients == ["anna@example.se", "bo@example.se"]
    assert smtp_server.to("anna@example.se")[0]["Subject"] == "Information om en personuppgiftsincident hos Elastx"
    assert _incident(runtime, incident_id).letters == {"sent": 2}
    page = client.get(f"/admin/incidents/{incident_id}").text
    assert "2 letters sent." in page
    assert 'id="exception-form"' not in page  # once written to, no exception can replace the letters
    assert "Everyone in scope has been written to." in client.get(f"/admin/incidents/{incident_id}/letters").text


def test_the_art_34_3_exception_replaces_the_letters(client: TestClient, runtime: Runtime) -> None:
    incident_id = _opened(client)
    _post(client, incident_id, "risk", risk="high", risk_reasoning="names and emails of customer contacts")
    effort = {"exception": "disproportionate_effort", "exception_reasoning": "Thousands of contacts, no addresses"}
    unconfirmed = _post(client, incident_id, "exception", **effort)
    assert "tick the box" in _field_error(unconfirmed.text, "confirm_exception")
    no_notice = _post(client, incident_id, "exception", confirm_exception="1", **effort)
    assert "needs the public notice" in _field_error(no_notice.text, "public_notice")
    done = _post(client, incident_id, "exception", confirm_exception="1", public_notice="On elastx.se/news", **effort)
    assert done.status_code == 303
    assert _incident(runtime, incident_id).subject_exception == "disproportionate_effort"
    assert "No letters:" in client.get(f"/admin/incidents/{incident_id}").text
    refused = _post(client, incident_id, "letters", people="0", language="en")
    assert refused.status_code == 409
    assert "exception is recorded" in refused.text


def test_close_needs_a_confirmation_and_can_be_reopened(client: TestClient, runtime: Runtime) -> None:
    incident_id = _opened(client)
    assert "tick the box" in _field_error(_post(client, incident_id, "close").text, "confirm_close")
    assert _post(client, incident_id, "close", confirm_close="1", close_note="All told").status_code == 303
    closed = client.get(f"/admin/incidents/{incident_id}").text
    assert 'id="reopen-form"' in closed
    assert 'id="risk-form"' not in closed
    assert _incident(runtime, incident_id).state == "closed"
    assert _post(client, incident_id, "reopen").status_code == 303
    assert [e.kind for e in _incident(runtime, incident_id).timeline][-2:] == ["close", "reopen"]


def test_every_form_needs_the_csrf_token(client: TestClient, runtime: Runtime) -> None:
    incident_id = _opened(client)
    token = client.headers.pop("X-CSRF-Token")
    assert _open(client).status_code == 403
    for action, fields in (
        ("note", {"note": "x"}),
        ("facts", {"consequences": "x"}),
        ("count", {}),
        ("risk", {"risk": "none", "risk_reasoning": "x"}),
        ("decision", {"decision": "notify", "decision_reasoning": "ten chars or more"}),
        ("notification", {"confirm_notification": "1"}),
        ("letters", {"people": "0"}),
        ("exception", {"exception": "encrypted"}),
        ("close", {"confirm_close": "1"}),
        ("reopen", {}),
    ):
        refused = _post(client, incident_id, action, **fields)
        assert refused.status_code == 403, action
        assert "Reload the page" in refused.text
    allowed = _post(client, incident_id, "note", note="with the token", csrf_token=token)
    assert allowed.status_code == 303
    assert [e.kind for e in _incident(runtime, incident_id).timeline] == ["open", "note"]


def test_a_reader_sees_the_incident_but_no_form_and_is_refused_each_action(
    client: TestClient, login_as: LoginAs, runtime: Runtime
) -> None:
    incident_id = _opened(client)
    auditor = login_as("auditor")
    page = auditor.get(f"/admin/incidents/{incident_id}")
    assert page.status_code == 200
    assert '<form method="post" action="/admin/incidents/' not in page.text
    assert 'href="/admin/incidents/new"' not in auditor.get("/admin/incidents").text
    assert auditor.get(f"/admin/incidents/{incident_id}/document?lang=sv").status_code == 200  # reading is theirs
    assert auditor.get("/admin/incidents/new").status_code == 403
    assert auditor.get(f"/admin/incidents/{incident_id}/letters").status_code == 403
    assert _open(auditor).status_code == 403
    for action in ("note", "facts", "count", "risk", "decision", "notification", "letters", "exception", "close"):
        refused = _post(auditor, incident_id, action, note="x")
        assert refused.status_code == 403, action
        assert "incidents.manage" in refused.text
    assert [e.kind for e in _incident(runtime, incident_id).timeline] == ["open"]


def _seed(runtime: Runtime, n: int, **fields: Any) -> list[int]:
    found = []
    with runtime.work(OFFICER) as work:
        for i in range(n):
            values: dict[str, Any] = {"summary": f"Incident number {i}", "reported_by": "IT", "kinds": ["integrity"]}
            values.update(fields)
            data = IncidentCreate(**values)
            found.append(service.open_incident(work, data).id)
    return found


def test_the_list_filters_pages_and_exports(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = runtime.clock.now()
    running = _seed(runtime, 3, aware_at=now - timedelta(hours=2))
    overdue = _seed(runtime, 1, aware_at=now - timedelta(hours=80))
    closed = _seed(runtime, 1, aware_at=now - timedelta(hours=100))
    _post(client, closed[0], "close", confirm_close="1")

    def ids(html: str) -> list[int]:
        return [int(i) for i in re.findall(r'<tr id="incident-(\d+)"', html)]

    assert ids(client.get("/admin/incidents?deadline=overdue").text) == overdue
    assert sorted(ids(client.get("/admin/incidents?deadline=running").text)) == running
    assert ids(client.get("/admin/incidents?deadline=stopped").text) == closed
    assert ids(client.get("/admin/incidents?state=closed").text) == closed
    assert ids(client.get("/admin/incidents?state=open").text) == overdue + running
    nothing = client.get("/admin/incidents?state=closed&deadline=running").text
    assert "No incident matches these filters." in nothing

    monkeypatch.setattr(incident_pages, "PAGE_SIZE", 2)
    first = client.get("/admin/incidents").text
    assert ids(first) == overdue + running[:1]
    assert "5 incidents (1–2 shown)" in first
    assert 'href="/admin/incidents?offset=2" rel="next"' in first
    last = client.get("/admin/incidents?offset=4").text
    assert ids(last) == closed
    assert 'rel="prev"' in last
    assert 'rel="next"' not in last

    export = client.get("/admin/incidents/export.csv?state=open")
    assert export.headers["content-type"].startswith("text/csv")
    assert export.headers["content-disposition"] == 'attachment; filename="incidents-2026-11-29.csv"'
    lines = list(csv.DictReader(io.StringIO(export.text)))
    assert [int(line["id"]) for line in lines] == overdue + running
    assert lines[0]["clock"] == "overdue"
    assert lines[1]["clock"] == "running"
    assert lines[1]["aware_at"] == "2026-11-29 09:00 +01:00"
    assert lines[1]["deadline"] == "2026-12-02 09:00 +01:00"
    [event] = _events(runtime, "incident.export")
    assert event.details == {"rows": 4, "state": "open", "deadline": "all"}
    client.cookies.set(LANG_COOKIE, "sv")
    assert "72-timmarsklockan" in client.get("/admin/incidents").text


def test_the_empty_list_says_what_to_do(client: TestClient, login_as: LoginAs) -> None:
    page = client.get("/admin/incidents").text
    assert "No incidents have been recorded." in page
    assert "open an incident at once" in page
    assert 'href="/admin/incidents/new"' in page
    assert 'id="incident-filters"' not in page
    reader = login_as("auditor").get("/admin/incidents").text
    assert "Someone with the incidents.manage permission opens them." in reader


def test_the_forms_in_swedish(client: TestClient) -> None:
    client.cookies.set(LANG_COOKIE, "sv")
    assert "Fick kännedom" in client.get("/admin/incidents/new").text
    incident_id = _opened(client)
    page = client.get(f"/admin/incidents/{incident_id}").text
    for text in ("Risk för de berörda personerna", "Anmäla till tillsynsmyndigheten?", "Lägg till i tidslinjen"):
        assert text in page
