"""The private status page over HTTP: the due date with the days left while the request is open, and once the
package is ready a link to the download behind the same one-time code as the letter's link."""

from __future__ import annotations

import io
import re
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient

from custos.actor import Actor
from custos.app import create_app
from custos.clock import FixedClock
from custos.register.people import add_person, find_person
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.requests import answers, cases, intake
from custos.runtime import Runtime
from custos.settings import Settings
from custos.work import Work

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "requests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "systems"))
from customer_system import rows
from requests_support import ANNA, Connected, open_connected

TESTER = Actor.system("test")  # sets up and reads the register around the requests under test

SUBJECT = Actor(kind="subject", id=None, label="subject:web")
STAFF = Actor(kind="staff", id=1, label="staff:1")


@pytest.fixture
def connected(runtime: Runtime, settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[Connected]:
    local = replace(settings, packages_dir=tmp_path / "packages", outbox_dir=tmp_path / "outbox")
    c = open_connected(local, clock, tmp_path)
    yield c
    c.runtime.close()


@pytest.fixture
def public(connected: Connected) -> Iterator[TestClient]:
    with TestClient(create_app(connected.runtime.settings, runtime=connected.runtime)) as client:
        yield client


def _ask(public: TestClient) -> tuple[str, str]:
    """A request from the form; its ref and the path of its private status page."""
    sent = public.post("/rights", data={"kind": "access", "email": ANNA})
    assert sent.status_code == 201
    ref = re.search(r"DSR-[A-Z0-9]{8}", sent.text)
    link = re.search(r'id="status-link" href="([^"]+)"', sent.text)
    assert ref
    assert link
    return ref.group(0), urlparse(link.group(1)).path


def _confirm(c: Connected, ref: str) -> None:
    code = parse_qs(urlparse(c.outbox.link(r"https?://\S+/rights/verify/\S+")).query)["code"][0]
    assert intake.confirm(c.runtime, ref, code, SUBJECT) == "in_progress"


def _days(page: str) -> int | None:
    found = re.search(r'id="days-left" data-days="(-?\d+)"', page)
    return int(found.group(1)) if found else None


def test_the_status_page_shows_the_due_date_and_the_days_left(
    connected: Connected, public: TestClient, clock: FixedClock
) -> None:
    ref, status = _ask(public)
    with connected.runtime.db.transaction() as session:
        due = cases.current_due(cases.load(session, ref))
    left = (due - clock.now().date()).days
    assert left > 20

    page = public.get(status)
    assert page.status_code == 200
    assert due.isoformat() in page.text
    assert _days(page.text) == left
    assert f"{left} days" in page.text
    assert 'id="download-link"' not in page.text  # nothing to download yet

    swedish = public.get(status + "?lang=sv")
    assert f"{left} dagar" in swedish.text

    clock.advance(timedelta(days=left))
    assert "The answer is due today" in public.get(status).text
    clock.advance(timedelta(days=2))
    page = public.get(status)
    assert _days(page.text) == -2
    assert "2 days past the due date" in page.text


def test_once_the_package_is_ready_the_status_page_leads_to_the_download_behind_a_code(
    connected: Connected, public: TestClient, clock: FixedClock
) -> None:
    ref, status = _ask(public)
    _confirm(connected, ref)
    page = public.get(status)
    assert 'data-state="in_progress"' in page.text
    assert 'id="download-link"' not in page.text  # written, but staff have not answered yet
    answers.complete(connected.runtime, ref, STAFF, note=None)

    page = public.get(status)
    assert 'data-state="completed"' in page.text
    assert _days(page.text) is None  # answered: no countdown
    link = re.search(r'id="download-link" href="([^"]+)"', page.text)
    assert link
    download = urlparse(link.group(1)).path
    assert download == f"{status}/download"
    until = (clock.now() + answers.DOWNLOAD_LIFETIME).date().isoformat()  # open until 10:00 that day
    assert until in page.text

    form = public.get(download)
    assert form.status_code == 200
    assert f'action="{download}/code' in form.text
    # No file without the code: the status link alone is not enough.
    assert public.post(download, data={"code": "00000000"}).status_code == 422
    assert public.post(download + "/code").status_code == 200
    number = re.search(r"\b\d{8}\b", connected.outbox.last().body)
    assert number
    archive = public.post(download, data={"code": number.group(0)})
    assert archive.status_code == 200
    assert archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as package:
        text = "\n".join(package.read(n).decode("utf-8", "replace") for n in package.namelist())
    assert "Cannot log in" in text  # her ticket from the CRM
    with connected.runtime.db.transaction() as session:
        events = [e.kind for e in cases.load(session, ref, events=True).events]
    assert events.count("downloaded") == 1  # audited like the letter's link

    # Once the download has expired, the page no longer offers it, and the old path says why.
    clock.advance(answers.DOWNLOAD_LIFETIME)
    assert 'id="download-link"' not in public.get(status).text
    assert public.get(download).status_code == 409


def test_a_status_page_without_a_package_has_no_download(public: TestClient) -> None:
    _, status = _ask(public)
    assert public.get(f"{status}/download").status_code == 404
    assert public.post(f"{status}/download/code").status_code == 404
    assert public.get("/rights/status/not-a-secret/download").status_code == 404


@pytest.fixture
def dpo(connected: Connected, staff_factory: Callable[..., Any], clock: FixedClock) -> Iterator[TestClient]:
    member = staff_factory("dpo")
    with TestClient(create_app(connected.runtime.settings, runtime=connected.runtime)) as client:
        body = {"email": member.email, "password": member.password, "code": member.code(clock.now())}
        response = client.post("/api/v1/auth/login", json=body)
        assert response.status_code == 200, response.text
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        yield client


def test_staff_approve_a_corrected_address_from_the_admin_page(connected: Connected, dpo: TestClient) -> None:
    with connected.runtime.db.transaction() as session:
        bo = PersonCreate(
            name="Bo Berg", emails=["bo@example.se"], relationships=[RelationshipCreate(subject_category="prospect")]
        )
        add_person(Work(session, connected.runtime.clock, connected.runtime.keys, connected.runtime.policy, TESTER), bo)
    created = dpo.post(
        "/admin/requests/new",
        data={
            "kind": "rectification",
            "email": ANNA,
            "received_at": "2026-11-28T08:00",
            "language": "en",
            "details": "Letter: my name and address changed.",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    ref = created.headers["location"].split("/")[-1].split("?")[0]
    note = {"note": "Signed letter from the address on file."}
    assert dpo.post(f"/admin/requests/{ref}/verify", data=note, follow_redirects=False).status_code == 303
    detail = dpo.get(f"/admin/requests/{ref}")
    assert 'name="email"' in detail.text
    assert "Corrected email address" in detail.text

    clash = dpo.post(f"/admin/requests/{ref}/approve", data={"email": "bo@example.se", **note})
    assert clash.status_code == 409
    assert "already belongs to another person" in clash.text

    approved = dpo.post(
        f"/admin/requests/{ref}/approve",
        data={"email": "anna.lind@example.se", "name": "Anna Lind", **note},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    assert 'data-state="completed"' in dpo.get(f"/admin/requests/{ref}").text
    assert rows(connected.crm_url, "SELECT email, name FROM customers WHERE id = 1") == [
        ("anna.lind@example.se", "Anna Lind")
    ]
    with connected.runtime.db.transaction() as session:
        assert (
            find_person(
                Work(session, connected.runtime.clock, connected.runtime.keys, connected.runtime.policy, TESTER),
                "email",
                "anna.lind@example.se",
            ).name
            == "Anna Lind"
        )


def test_the_status_page_shows_the_day_and_times_on_the_organisations_clock(
    public: TestClient, clock: FixedClock
) -> None:
    from datetime import UTC, datetime

    clock.set(datetime(2026, 11, 28, 23, 30, tzinfo=UTC))  # 00:30 on 29 November in Stockholm
    _, path = _ask(public)
    page = public.get(path).text
    received = re.search(r"<dd>(\d{4}-\d{2}-\d{2})</dd>", page)
    assert received
    assert received.group(1) == "2026-11-29"
    assert "2026-11-29 00:30 +01:00" in page
    assert "2026-11-28 23:30" not in page
