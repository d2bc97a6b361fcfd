"""The admin pages as staff meet them: what each role is shown and refused, the audited person page, the
audit log's filters and pages, the language switch, CSRF in form fields, and htmx's partial responses."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from custos.audit import AuditEvent
from custos.runtime import Runtime

LoginAs = Callable[..., TestClient]
ANNA = {
    "name": "Anna Lindqvist",
    "title": "CTO",
    "emails": ["anna@example.se"],
    "phones": ["+46 70 123 45 67"],
    "relationships": [{"subject_category": "prospect", "source": "Cloud fair Stockholm 2025"}],
}


def _add_anna(client: TestClient) -> str:
    response = client.post("/api/v1/people", json=ANNA)
    assert response.status_code == 201, response.text
    ref = response.json()["ref"]
    assert isinstance(ref, str)
    return ref


def _events(runtime: Runtime, action: str) -> list[AuditEvent]:
    with runtime.db.transaction() as session:
        found = list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))
        session.expunge_all()
        return found


def _nav(html: str) -> list[str]:
    block = re.search(r'<nav class="areas".*?</nav>', html, re.S)
    return re.findall(r'href="([^"]+)"', block.group(0)) if block else []


def test_anonymous_browsers_are_sent_to_the_login_page(anonymous_client: TestClient) -> None:
    page = anonymous_client.get("/admin/people/1", follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/admin/login?next=%2Fadmin%2Fpeople%2F1")
    htmx = anonymous_client.get("/admin/audit", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.headers["HX-Redirect"].startswith("/admin/login")
    # A client that asks for JSON still gets the one JSON error shape.
    api_like = anonymous_client.get("/admin/audit", headers={"accept": "application/json"})
    assert (api_like.status_code, api_like.json()["error"]["code"]) == (401, "unauthenticated")


@pytest.mark.parametrize(
    ("role", "areas"),
    [
        (
            "dpo",
            [
                "/admin",
                "/admin/people",
                "/admin/organisations",
                "/admin/imports",
                "/admin/retention",
                "/admin/requests",
                "/admin/consent",
                "/admin/incidents",
                "/admin/systems",
                "/admin/systems/tasks",
                "/admin/records",
                "/admin/selections",
                "/admin/staff",
                "/admin/access-review",
                "/admin/audit",
                "/admin/doctor",
            ],
        ),
        ("auditor", ["/admin", "/admin/incidents", "/admin/records", "/admin/audit"]),
        ("account_admin", ["/admin", "/admin/staff", "/admin/access-review"]),
        ("support_agent", ["/admin"]),
    ],
)
def test_navigation_shows_only_the_areas_a_role_opens(login_as: LoginAs, role: str, areas: list[str]) -> None:
    dashboard = login_as(role).get("/admin")
    assert dashboard.status_code == 200
    assert _nav(dashboard.text) == areas
    assert ('id="count-people"' in dashboard.text) == (role == "dpo")  # the register's size needs register.read


AREAS = {
    "people": "/admin/people",
    "staff": "/admin/staff",
    "review": "/admin/access-review",
    "audit": "/admin/audit",
    "doctor": "/admin/doctor",
}
ALLOWED = {
    "dpo": {"people", "staff", "review", "audit", "doctor"},
    "privacy_officer": {"people", "doctor"},
    "support_agent": set(),
    "system_owner": set(),
    "auditor": {"audit"},
    "account_admin": {"staff", "review"},  # separation of duties: no personal data
}


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_each_built_in_role_opens_exactly_its_admin_areas(login_as: LoginAs, role: str) -> None:
    web = login_as(role)
    assert web.get("/admin").status_code == 200  # the dashboard, for everyone signed in
    opened = set()
    for area, path in AREAS.items():
        response = web.get(path)
        assert response.status_code in (200, 403), (area, response.status_code)
        if response.status_code == 200:
            opened.add(area)
    assert opened == ALLOWED[role]


def test_a_role_without_the_grant_gets_the_403_page(login_as: LoginAs, client: TestClient, runtime: Runtime) -> None:
    ref = _add_anna(client)
    denied = login_as("auditor").get(f"/admin/people/{ref}")
    assert denied.status_code == 403
    assert denied.headers["content-type"].startswith("text/html")
    assert "You do not have access to this page" in denied.text
    assert "register.read" in denied.text
    assert "Anna" not in denied.text
    assert [e.outcome for e in _events(runtime, "access.denied")] == ["denied"]
    assert _events(runtime, "person.read") == []


def test_the_person_page_shows_the_person_and_is_audited_with_the_address(client: TestClient, runtime: Runtime) -> None:
    ref = _add_anna(client)
    page = client.get(f"/admin/people/{ref}")
    assert page.status_code == 200
    assert "<h1>Anna Lindqvist</h1>" in page.text
    assert "anna@example.se" in page.text
    assert "+46701234567" in page.text
    assert '<th scope="row">Prospects</th>' in page.text  # the category by its policy title
    assert "Anna" not in page.text.split("<title>", 1)[1].split("</title>", 1)[0]  # titles end up in history
    [read] = _events(runtime, "person.read")
    assert (read.subject, read.ip, read.actor_kind) == (ref, "testclient", "staff")


def test_people_are_found_by_exact_email_in_a_posted_form(client: TestClient, runtime: Runtime) -> None:
    ref = _add_anna(client)
    found = client.post("/admin/people", data={"kind": "email", "value": " Anna@Example.se "})
    assert found.status_code == 200
    assert "<h1>Anna Lindqvist</h1>" in found.text
    missing = client.post("/admin/people", data={"kind": "phone", "value": "+46 70 000 00 00"})
    assert missing.status_code == 404
    assert "no person with that phone" in missing.text
    assert [(e.subject, e.details_json) for e in _events(runtime, "person.read")] == [(ref, '{"via":"email"}')]


def test_the_audit_log_filters_by_action_and_shows_the_page_view(
    client: TestClient, login_as: LoginAs, runtime: Runtime
) -> None:
    ref = _add_anna(client)
    client.get(f"/admin/people/{ref}")
    log = login_as("auditor").get("/admin/audit", params={"action": "person.read"})
    assert log.status_code == 200
    events = log.text.split('<table class="audit">', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr>.*?</tr>", events, re.S)
    assert len(rows) == 1
    assert "<code>person.read</code>" in rows[0]
    assert ref in rows[0]
    assert "testclient" in rows[0]
    assert 'value="person.read"' in log.text  # the filter keeps what was asked
    # Reading the log is audited too.
    assert [e.outcome for e in _events(runtime, "audit.read")] == ["ok"]


def test_the_audit_log_pages_through_and_explains_a_bad_filter(login_as: LoginAs, client: TestClient) -> None:
    for n in range(3):
        added = client.post("/api/v1/people", json=ANNA | {"emails": [], "phones": [f"+46 70 555 00 0{n}"]})
        assert added.status_code == 201
    auditor = login_as("auditor")
    first = auditor.get("/admin/audit")
    assert "Next page" not in first.text  # fewer than a page of events
    by_day = auditor.get("/admin/audit", params={"from": "2026-11-29", "to": "2026-11-29", "actor": "staff:1"})
    assert by_day.status_code == 200
    bad = auditor.get("/admin/audit", params={"from": "29/11/2026", "subject": "anna@example.se"})
    assert bad.status_code == 422
    assert 'id="f-from-error"' in bad.text
    assert 'id="f-subject-error"' in bad.text
    assert '<table class="audit">' not in bad.text  # no events listed for a filter that cannot be read


def test_htmx_filter_requests_get_only_the_results(login_as: LoginAs) -> None:
    auditor = login_as("auditor")
    headers = {"HX-Request": "true", "HX-Target": "audit-results"}
    fragment = auditor.get("/admin/audit", params={"action": "auth."}, headers=headers)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "<table" in fragment.text
    restore = auditor.get("/admin/audit", headers=headers | {"HX-History-Restore-Request": "true"})
    assert "<html" in restore.text


def test_pages_load_htmx_from_our_own_static_files_and_send_the_csrf_header(client: TestClient) -> None:
    page = client.get("/admin")
    token = client.headers["X-CSRF-Token"]
    assert f'hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'' in page.text
    if '<script src="/static/vendor/htmx.min.js"' in page.text:
        assert client.get("/static/vendor/htmx.min.js").status_code == 200
    assert "//unpkg" not in page.text
    assert "cdn" not in page.text.lower()


def test_the_language_switch_keeps_the_page_and_sets_swedish(client: TestClient) -> None:
    page = client.get("/admin")
    switch = re.search(r'<a href="([^"]+)" hreflang="sv" lang="sv">Svenska</a>', page.text)
    assert switch is not None
    moved = client.get(switch.group(1).replace("&amp;", "&"), follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (303, "/admin")
    swedish = client.get("/admin")
    assert '<html lang="sv">' in swedish.text
    assert swedish.headers["content-language"] == "sv"
    assert "Hoppa till innehållet" in swedish.text
    assert ">Översikt<" in swedish.text
    away = client.get("/admin/language", params={"lang": "en", "next": "https://evil.example/"}, follow_redirects=False)
    assert away.headers["location"] == "/admin"


def test_forms_need_the_csrf_token_in_a_field_or_header(client: TestClient, runtime: Runtime) -> None:
    token = client.headers.pop("X-CSRF-Token")
    ref = _add_anna_with(client, token)
    refused = client.post("/admin/people", data={"kind": "email", "value": "anna@example.se"})
    assert refused.status_code == 403
    assert "Reload the page" in refused.text
    allowed = client.post("/admin/people", data={"kind": "email", "value": "anna@example.se", "csrf_token": token})
    assert allowed.status_code == 200
    forged = client.post("/admin/people", data={"kind": "email", "value": "x@example.se", "csrf_token": "forged"})
    assert forged.status_code == 403
    assert [e.subject for e in _events(runtime, "person.read")] == [ref]


def _add_anna_with(client: TestClient, token: str) -> str:
    response = client.post("/api/v1/people", json=ANNA, headers={"X-CSRF-Token": token})
    assert response.status_code == 201
    ref: Any = response.json()["ref"]
    return str(ref)


def test_unknown_admin_pages_get_the_admin_404_page(client: TestClient) -> None:
    missing = client.get("/admin/people/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    assert 'class="skip-link"' in missing.text
    assert "Not found" in missing.text
