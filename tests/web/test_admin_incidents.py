"""The incidents pages: the 72-hour countdown as of the runtime's clock (left, overdue, stopped), open ones
first, who must be told, the detail with its timeline and the Art. 33(3) document, both languages, and the
403 page for roles without `incidents.read`."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from custos.actor import Actor
from custos.incidents import service
from custos.incidents.schemas import DecisionCreate, IncidentCreate, IncidentPublic, NotificationCreate
from custos.runtime import Runtime
from custos.web.admin.pages import LANG_COOKIE

LoginAs = Callable[..., TestClient]
OFFICER = Actor(kind="staff", id=1, label="staff:1")
# The conftest's FixedClock is 2026-11-29 10:00 UTC.
AWARE_24H_AGO = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)  # deadline 2026-12-01 10:00: 48 h left
AWARE_80H_AGO = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # deadline 2026-11-29 02:00: overdue by 8 h
AWARE_30M_AGO = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)  # 71 h 30 min left


def _open(runtime: Runtime, **fields: Any) -> IncidentPublic:
    values: dict[str, Any] = {"summary": "Laptop stolen", "reported_by": "IT", "kinds": ["confidentiality"]}
    values.update(fields)
    with runtime.work(OFFICER) as work:
        return service.open_incident(work, IncidentCreate(**values))


def _row(html: str, incident_id: int) -> str:
    row = re.search(rf'<tr id="incident-{incident_id}".*?</tr>', html, re.S)
    assert row is not None, f"no row for incident {incident_id}"
    return row.group(0)


def _countdown(html: str) -> str:
    found = re.search(r'<time class="countdown-text" datetime="([^"]+)"[^>]*>([^<]*)</time>', html)
    assert found is not None
    return f"{found.group(1)} {found.group(2)}"


def test_the_list_counts_down_to_the_authority_deadline(client: TestClient, runtime: Runtime) -> None:
    due = _open(runtime, aware_at=AWARE_24H_AGO, summary="CRM export on a stolen laptop")
    late = _open(runtime, aware_at=AWARE_80H_AGO, summary="Backup bucket left public")
    fresh = _open(runtime, aware_at=AWARE_30M_AGO, summary="Wrong attachment")
    page = client.get("/admin/incidents")
    assert page.status_code == 200
    assert page.headers["content-security-policy"].startswith("default-src 'self'")

    assert _countdown(_row(page.text, due.id)) == "2026-12-01T10:00:00+00:00 48 h 0 min left"
    assert 'data-seconds="172800"' in _row(page.text, due.id)
    assert '<progress max="4320" value="1440"' in _row(page.text, due.id)  # a third of the 72 hours gone

    overdue = _row(page.text, late.id)
    assert _countdown(overdue) == "2026-11-29T02:00:00+00:00 overdue by 8 h 0 min"
    assert 'class="countdown overdue"' in overdue
    assert 'class="flagged"' in overdue
    assert '<progress max="4320" value="4320"' in overdue
    assert 'Supervisory authority:</strong> <span class="track-state">overdue</span>' in overdue

    assert _countdown(_row(page.text, fresh.id)).endswith("71 h 30 min left")
    # The nearest deadline first.
    order = [int(i) for i in re.findall(r'<tr id="incident-(\d+)"', page.text)]
    assert order == [late.id, due.id, fresh.id]
    # The script that ticks the countdown is a file of our own, never inline (the CSP forbids that).
    assert '<script src="/static/incidents.js" defer></script>' in page.text
    assert "<script>" not in page.text
    assert client.get("/static/incidents.js").status_code == 200


def test_settled_and_closed_incidents_stop_the_clock_and_come_after_open_ones(
    client: TestClient, runtime: Runtime
) -> None:
    notified = _open(runtime, aware_at=AWARE_24H_AGO, summary="Notified", risk="high", risk_reasoning="passwords")
    still_open = _open(runtime, aware_at=AWARE_30M_AGO, summary="Still open")
    with runtime.work(OFFICER) as work:
        service.decide(
            work,
            notified.id,
            DecisionCreate(decision="notify", reasoning="high risk: passwords leaked"),
        )
        service.record_notification(
            work,
            notified.id,
            NotificationCreate(recipient="authority", reference="IMY-2026-1"),
        )
    page = client.get("/admin/incidents").text
    row = _row(page, notified.id)
    assert "data-countdown" not in row
    assert "Clock stopped." in row
    assert "notified 2026-11-29 11:00 +01:00" in row  # on the organisation's clock, with the offset
    assert 'People affected:</strong> <span class="track-state">pending</span>' in row  # high risk: letters due
    assert "Customers" not in row  # as controller there are none to tell
    assert "data-countdown" in _row(page, still_open.id)


def test_the_detail_shows_the_timeline_and_links_the_art_33_3_document(client: TestClient, runtime: Runtime) -> None:
    incident = _open(
        runtime,
        aware_at=AWARE_24H_AGO,
        nis2=True,
        risk="risk",
        risk_reasoning="names and email addresses",
        consequences="Phishing",
    )
    page = client.get(f"/admin/incidents/{incident.id}")
    assert page.status_code == 200
    assert "<h1>Incident #" in page.text
    assert "48 h 0 min left" in page.text
    assert 'NIS2 (CSIRT):</strong> <span class="track-state">pending</span>' in page.text
    assert "early warning: due by 2026-11-29 11:00 +01:00" in page.text
    timeline = re.search(r'<ol class="timeline">(.*?)</ol>', page.text, re.S)
    assert timeline is not None
    assert "<code>open</code>" in timeline.group(1)
    link = f'href="/api/v1/incidents/{incident.id}/document?format=html"'
    assert link in page.text
    document = client.get(f"/api/v1/incidents/{incident.id}/document", params={"format": "html"})
    assert document.status_code == 200
    assert "Phishing" in document.text
    assert client.get("/admin/incidents/999").status_code == 404


def test_the_pages_in_swedish(client: TestClient, runtime: Runtime) -> None:
    incident = _open(runtime, aware_at=AWARE_80H_AGO)
    client.cookies.set(LANG_COOKIE, "sv")
    page = client.get("/admin/incidents")
    assert "Personuppgiftsincidenter" in page.text
    assert "försenad med 8 h 0 min" in page.text
    assert 'data-left="{h} h {m} min kvar"' in page.text
    assert "Tidslinje" in client.get(f"/admin/incidents/{incident.id}").text


@pytest.mark.parametrize("role", ["support_agent", "account_admin"])
def test_roles_without_incidents_read_get_the_403_page_and_no_nav_entry(login_as: LoginAs, role: str) -> None:
    web = login_as(role)
    denied = web.get("/admin/incidents")
    assert denied.status_code == 403
    assert denied.headers["content-type"].startswith("text/html")
    assert "You do not have access to this page" in denied.text
    assert "incidents.read" in denied.text
    assert web.get("/admin/incidents/1").status_code == 403
    assert "/admin/incidents" not in web.get("/admin").text


@pytest.mark.parametrize("role", ["dpo", "privacy_officer", "auditor"])
def test_readers_see_the_nav_entry(login_as: LoginAs, role: str) -> None:
    web = login_as(role)
    assert 'href="/admin/incidents"' in web.get("/admin").text
    assert web.get("/admin/incidents").status_code == 200


def test_the_timeline_reads_as_words_with_names_local_times_and_worded_values(
    client: TestClient, runtime: Runtime
) -> None:
    cli_officer = Actor(kind="staff", id=1, label="cli:staff:1")  # the CLI acting as a member
    with runtime.work(OFFICER) as work:
        incident = service.open_incident(
            work.acting_as(cli_officer),
            IncidentCreate(summary="Stolen", reported_by="IT", kinds=["confidentiality"], aware_at=AWARE_24H_AGO),
        )
        service.decide(work, incident.id, DecisionCreate(decision="notify", reasoning="Names leaked"))
    page = client.get(f"/admin/incidents/{incident.id}").text
    timeline = re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S)
    assert timeline is not None
    entries = timeline.group(1)
    assert "cli:staff:" not in entries
    assert "staff:1" not in entries
    assert "Became aware at: 2026-11-28 11:00 +01:00" in entries  # on the organisation's clock, not ISO UTC
    assert "Our role: controller" in entries
    assert "Decision: – → notify the authority" in entries
    assert "=" not in re.sub(r"<[^>]+>", "", entries)  # no field=value left
