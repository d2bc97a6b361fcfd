"""The public /rights pages, the requests API and the admin pages over HTTP, on a runtime connecting a SQLite
customer system: a subject asks, confirms from the letter, staff complete, the subject downloads."""

from __future__ import annotations

import io
import re
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from fastapi.testclient import TestClient

from custos.app import create_app
from custos.clock import FixedClock
from custos.runtime import Runtime
from custos.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "requests"))
from requests_support import ANNA, Connected, open_connected


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


@pytest.fixture
def staff_client(
    connected: Connected, staff_factory: Callable[..., Any], clock: FixedClock
) -> Iterator[Callable[[str], TestClient]]:
    clients: list[TestClient] = []

    def make(role: str) -> TestClient:
        member = staff_factory(role)
        client = TestClient(create_app(connected.runtime.settings, runtime=connected.runtime))
        client.__enter__()
        clients.append(client)
        body = {"email": member.email, "password": member.password, "code": member.code(clock.now())}
        response = client.post("/api/v1/auth/login", json=body)
        assert response.status_code == 200, response.text
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _path(link: str) -> str:
    parsed = urlparse(link)
    return parsed.path + (f"?{parsed.query}" if parsed.query else "")


def test_the_form_is_there_in_english_and_swedish(public: TestClient) -> None:
    english = public.get("/rights")
    assert english.status_code == 200
    assert "Get a copy of my data" in english.text
    assert "Elastx Cloud Platform" in english.text  # the processor choice, from the policy
    swedish = public.get("/rights?lang=sv")
    assert "Få en kopia av mina uppgifter" in swedish.text
    assert swedish.headers["content-language"] == "sv"


def test_malformed_input_comes_back_with_what_is_wrong(public: TestClient) -> None:
    response = public.post("/rights", data={"kind": "access", "email": "nope", "details": ""})
    assert response.status_code == 422
    assert "not a valid email address" in response.text
    assert 'value="nope"' in response.text  # what was typed stays
    assert public.post("/rights", data={"kind": "telepathy", "email": ANNA}).status_code == 422


def test_posts_from_another_site_are_refused_and_floods_are_limited(public: TestClient) -> None:
    response = public.post("/rights", data={"kind": "access", "email": ANNA}, headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    codes = [public.post("/rights", data={"kind": "access", "email": "x"}).status_code for _ in range(25)]
    assert 429 in codes


def test_access_from_the_form_to_the_download(
    connected: Connected, public: TestClient, staff_client: Callable[[str], TestClient]
) -> None:
    sent = public.post("/rights", data={"kind": "access", "email": ANNA})
    assert sent.status_code == 201
    ref = re.search(r"DSR-[A-Z0-9]{8}", sent.text)
    assert ref
    status_link = re.search(r'id="status-link" href="([^"]+)"', sent.text)
    assert status_link
    status = public.get(_path(status_link.group(1)))
    assert 'data-state="verifying"' in status.text
    verify = _path(connected.outbox.link(r"https?://\S+/rights/verify/\S+"))
    page = public.get(verify)
    assert page.status_code == 200
    code = re.search(r'name="code" value="([^"]+)"', page.text)
    assert code
    done = public.post(verify.split("?")[0], data={"code": code.group(1)})
    assert done.status_code == 200
    assert 'id="verified"' in done.text

    dpo = staff_client("dpo")
    queue = dpo.get("/admin/requests")
    assert queue.status_code == 200
    assert ref.group(0) in queue.text
    assert "<svg" in queue.text
    detail = dpo.get(f"/admin/requests/{ref.group(0)}")
    assert 'id="complete"' in detail.text
    completed = dpo.post(f"/admin/requests/{ref.group(0)}/complete", data={"note": ""}, follow_redirects=False)
    assert completed.status_code == 303

    download = _path(connected.outbox.link(r"https?://\S+/rights/download/\S+"))
    assert public.get(download).status_code == 200
    assert public.post(download + "/code").status_code == 200
    number = re.search(r"\b\d{8}\b", connected.outbox.last().body)
    assert number
    wrong = public.post(download, data={"code": "12345678" if number.group(0) != "12345678" else "87654321"})
    assert wrong.status_code == 422
    archive = public.post(download, data={"code": number.group(0)})
    assert archive.status_code == 200
    assert archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as package:
        text = "\n".join(package.read(n).decode("utf-8", "replace") for n in package.namelist())
    assert "Anna Andersson" in text
    assert "Cannot log in" in text


def test_the_api_takes_requests_in_with_the_same_rules(
    connected: Connected, staff_client: Callable[[str], TestClient]
) -> None:
    intake = staff_client("support_agent")
    created = intake.post(
        "/api/v1/requests",
        json={"kind": "erasure", "email": ANNA, "received_at": "2026-11-20T09:30:00+01:00", "language": "sv"},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["state"] == "verifying"
    assert body["due_on"] == "2026-12-21"
    bad = intake.post("/api/v1/requests", json={"kind": "erasure", "email": "nope"})
    assert bad.status_code == 422
    assert bad.json()["error"]["problems"][0]["location"] == "email"
    assert intake.get("/api/v1/requests").status_code == 403  # intake sees only what it took in
    dpo = staff_client("dpo")
    listed = dpo.get("/api/v1/requests").json()
    assert [r["ref"] for r in listed] == [body["ref"]]
    verified = dpo.post(f"/api/v1/requests/{body['ref']}/verify", json={"note": "Replied from the address on file."})
    assert verified.json()["ready"] is True
    wrong = dpo.post(f"/api/v1/requests/{body['ref']}/extend", json={"months": 1, "reason": "x"})
    assert wrong.status_code == 422
    done = dpo.post(f"/api/v1/requests/{body['ref']}/complete", json={})
    assert done.json()["state"] == "completed"
    again = dpo.post(f"/api/v1/requests/{body['ref']}/refuse", json={"reasons": "Too late to refuse now, surely."})
    assert again.status_code == 409
    assert "completed" in again.json()["error"]["message"]


def test_staff_enter_a_request_with_its_real_arrival(
    connected: Connected, staff_client: Callable[[str], TestClient]
) -> None:
    support = staff_client("support_agent")
    response = support.post(
        "/admin/requests/new",
        data={"kind": "access", "email": ANNA, "received_at": "2026-11-02T08:15", "language": "en"},
    )
    assert response.status_code == 200
    assert 'id="created"' in response.text
    assert "2026-12-02" in response.text
    assert support.get("/admin/requests").status_code == 403


def test_the_rights_pages_have_the_same_words_in_both_languages() -> None:
    from custos.texts import read_texts

    def keys(node: object, prefix: str = "") -> set[str]:
        if not isinstance(node, dict):
            return {prefix}
        return set().union(*(keys(value, f"{prefix}.{key}") for key, value in node.items()))

    english, swedish = read_texts("custos.web.rights_pages", "en"), read_texts("custos.web.rights_pages", "sv")
    assert keys(english) == keys(swedish)
    assert set(english["rights"]["kinds"]) == set(swedish["rights"]["kinds"])


def test_staff_work_a_request_from_the_admin_pages(
    connected: Connected, staff_client: Callable[[str], TestClient]
) -> None:
    dpo = staff_client("dpo")
    created = dpo.post(
        "/admin/requests/new",
        data={"kind": "erasure", "email": ANNA, "received_at": "2026-10-01T08:00", "language": "sv"},
        follow_redirects=False,
    )
    assert created.status_code == 303
    ref = created.headers["location"].split("/")[-1].split("?")[0]
    overdue = dpo.get("/admin/requests?overdue=1")
    assert f'id="request-{ref}" class="flagged"' in overdue.text
    assert dpo.get("/admin/requests?kind=access").text.count('id="request-') == 0
    short = dpo.post(f"/admin/requests/{ref}/extend", data={"months": "1", "reason": "busy"})
    assert short.status_code == 422
    assert 'id="form-error"' in short.text
    late = dpo.post(f"/admin/requests/{ref}/extend", data={"months": "1", "reason": "Many systems to search by hand."})
    assert late.status_code == 409  # the month has already passed: too late to extend
    assert "before the deadline" in late.text
    verified = dpo.post(
        f"/admin/requests/{ref}/verify",
        data={"note": "Signed letter from the address on file."},
        follow_redirects=False,
    )
    assert verified.status_code == 303
    detail = dpo.get(f"/admin/requests/{ref}")
    assert 'data-state="in_progress"' in detail.text
    assert "crm" in detail.text  # the per-system task list
    assert dpo.post(f"/admin/requests/{ref}/complete", data={}, follow_redirects=False).status_code == 303
    assert connected.outbox.last().subject  # the answer went out, in Swedish
    assert "raderade" in connected.outbox.last().body.lower() or "raderat" in connected.outbox.last().body.lower()
