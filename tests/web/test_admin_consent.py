"""The consent page: its rates and counts are those of the records the consent service wrote on the fixed clock,
recent records show the visitor shortened and every choice, looking is audited, roles without `consent.read`
get the 403 page and no nav entry, and the page reads in Swedish."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from custos.audit import AuditEvent
from custos.clock import FixedClock
from custos.consent import service
from custos.consent.models import ConsentRecord
from custos.consent.service import Choice, Method
from custos.consent.terms import terms_for
from custos.runtime import Runtime

LoginAs = Callable[..., TestClient]


def _choose(runtime: Runtime, visitor: str | None, method: Method = Method.BANNER, **choices: bool) -> ConsentRecord:
    with runtime.work(service.VISITOR) as work:
        record = service.record_choice(work, terms_for(runtime.policy), visitor, Choice(choices, method))
        work.session.expunge(record)
        return record


@pytest.fixture
def records(runtime: Runtime, clock: FixedClock) -> list[ConsentRecord]:
    """Today (2026-11-29, a Sunday): 2 consents, 1 refusal, 1 withdrawal. 8 days ago: 1 consent, 1 GPC refusal.
    100 days ago: one consent, outside the 90 days."""
    start = clock.now()
    made = []
    clock.advance(timedelta(days=-100))
    made.append(_choose(runtime, None, analytics=True))
    clock.advance(timedelta(days=92))  # 2026-11-21, the week before
    made.append(_choose(runtime, None, analytics=True))
    made.append(_choose(runtime, None, Method.GPC))
    clock.advance(start - clock.now())
    first = _choose(runtime, None, analytics=True)
    made.append(first)
    made.append(_choose(runtime, None, Method.SETTINGS, analytics=True))
    made.append(_choose(runtime, None, analytics=False))
    clock.advance(timedelta(minutes=5))
    made.append(_choose(runtime, first.visitor_id, Method.SETTINGS, analytics=False))  # a withdrawal
    assert [r.kind for r in made[-4:]] == ["consent", "consent", "refusal", "withdrawal"]
    return made


def _rows(html: str) -> list[list[str]]:
    table = re.search(r'<table id="rate-table">.*?<tbody>(.*?)</tbody>', html, re.S)
    assert table is not None
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    ]


def test_rates_and_counts_are_those_of_the_recorded_choices(client: TestClient, records: list[ConsentRecord]) -> None:
    page = client.get("/admin/consent")
    assert page.status_code == 200
    rows = _rows(page.text)
    assert len(rows) == 13  # 90 days, Tuesday 2026-09-01 … Sunday 2026-11-29: a partial week, then 12 whole ones
    assert rows[0][0] == "2026-09-01 – 2026-09-06"
    by_period = {row[0]: row[1:] for row in rows if row[1] != "0"}
    assert by_period == {
        "2026-11-16 – 2026-11-22": ["2", "1", "1", "0", "1 (50 %)"],
        "2026-11-23 – 2026-11-29": ["4", "2", "1", "1", "2 (50 %)"],
    }
    assert "Choices recorded: 6. Consents: 3, refusals: 2, withdrawals: 1." in page.text
    svg = re.search(r'<svg class="chart consent-chart"[^>]*>.*?</svg>', page.text, re.S)
    assert svg is not None
    assert 'role="img"' in svg.group(0)
    assert 'aria-labelledby="chart-title chart-desc"' in svg.group(0)
    assert '<desc id="chart-desc">analytics: 50 % of all choices (3 of 6).</desc>' in svg.group(0)
    heights = re.findall(r'<rect class="bar cat-0"[^>]*height="([\d.]+)"', svg.group(0))
    assert [float(h) for h in heights] == [98.0, 98.0]  # half of the 196-unit drawing height, twice

    daily = _rows(client.get("/admin/consent", params={"by": "day"}).text)
    assert len(daily) == 90
    assert daily[-1] == ["2026-11-29", "4", "2", "1", "1", "2 (50 %)"]
    assert daily[-9] == ["2026-11-21", "2", "1", "1", "0", "1 (50 %)"]
    assert client.get("/admin/consent", params={"by": "month"}).status_code == 422


def test_recent_records_show_each_choice_and_looking_is_audited(
    client: TestClient, runtime: Runtime, records: list[ConsentRecord]
) -> None:
    page = client.get("/admin/consent")
    table = re.search(r'<table id="recent-table">.*?</table>', page.text, re.S)
    assert table is not None
    body = table.group(0)
    ids = re.findall(r'<code class="ref">([0-9a-f]{32})</code>', body)
    assert ids == [r.id for r in reversed(records)]  # newest first, all seven
    newest = records[-1]
    assert f"{newest.visitor_id[:8]}…" in body
    assert newest.visitor_id not in page.text  # shortened only
    row = body.split(newest.id, 1)[1].split("</tr>", 1)[0]
    assert "2026-11-29 11:05 +01:00" in row  # the organisation's clock, with the offset
    assert "<td>Withdrawal</td>" in row
    assert "<td>Settings</td>" in row
    assert "<td>No</td>" in row
    assert "2024-03-25" in row
    assert "GPC signal" in body
    with runtime.db.transaction() as session:
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "consent.view")))
        assert len(events) == 1
        assert events[0].details_json is not None
        assert '"records":7' in events[0].details_json
    preview = page.text.split('id="preview"', 1)[1]
    assert 'href="/consent/demo?lang=en"' in preview
    assert 'href="/consent/demo?lang=sv"' in preview


def test_an_empty_page(client: TestClient) -> None:
    page = client.get("/admin/consent")
    assert page.status_code == 200
    assert "No choice has been recorded yet." in page.text
    assert "analytics: no choices recorded." in page.text
    assert "<rect" not in page.text


@pytest.mark.parametrize("role", ["account_admin", "support_agent", "auditor"])
def test_roles_without_consent_read_get_the_403_page_and_no_nav_entry(login_as: LoginAs, role: str) -> None:
    web = login_as(role)
    denied = web.get("/admin/consent")
    assert denied.status_code == 403
    assert denied.headers["content-type"].startswith("text/html")
    assert "You do not have access to this page" in denied.text
    assert "consent.read" in denied.text
    assert "/admin/consent" not in web.get("/admin").text


def test_a_privacy_officer_sees_the_page_and_the_nav_entry(login_as: LoginAs) -> None:
    web = login_as("privacy_officer")
    assert 'href="/admin/consent"' in web.get("/admin").text
    assert web.get("/admin/consent").status_code == 200


def test_the_page_in_swedish(client: TestClient, records: list[ConsentRecord]) -> None:
    client.cookies.set("custos_lang", "sv")
    page = client.get("/admin/consent")
    assert page.status_code == 200
    assert '<html lang="sv">' in page.text
    assert "<h1>Samtycke till kakor</h1>" in page.text
    assert "Registrerade val: 6. Samtycken: 3, avböjanden: 2, återkallelser: 1." in page.text
    assert "analytics: 50 % av alla val (3 av 6)." in page.text
    assert "<td>Återkallelse</td>" in page.text
