"""The `http` kind against a real HTTP server on localhost: templated export and delete calls with the token
from an environment variable, a second erasure that finds nothing, and a failing endpoint recorded as failed."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from customer_system import connected_runtime

from custos.clock import FixedClock
from custos.runtime import Runtime
from custos.settings import Settings
from custos.systems.keys import SubjectKeys
from custos.systems.runs import erase_in_system, export_from_system

REF = "0c7d2f4a-6b1e-4e5a-9f3d-8a2b1c0d9e7f"
TOKEN = "finance-token-123"


class FinanceApi(ThreadingHTTPServer):
    people: dict[str, dict[str, object]]
    seen_auth: list[str | None]
    broken: bool


class _Handler(BaseHTTPRequestHandler):
    server: FinanceApi

    def log_message(self, *args: object) -> None:
        pass

    def _reply(self, status: int, body: object | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.server.seen_auth.append(self.headers.get("Authorization"))
        if self.server.broken:
            self._reply(503, {"error": "down"})
            return
        email = parse_qs(urlsplit(self.path).query).get("email", [""])[0]
        person = self.server.people.get(email)
        self._reply(200, [person] if person else [])

    def do_DELETE(self) -> None:
        self.server.seen_auth.append(self.headers.get("Authorization"))
        if self.server.broken:
            self._reply(503)
            return
        email = unquote(urlsplit(self.path).path.rsplit("/", 1)[-1])
        if self.server.people.pop(email, None) is None:
            self._reply(404)
        else:
            self._reply(200, {"deleted": 3})


@pytest.fixture
def finance() -> Iterator[FinanceApi]:
    server = FinanceApi(("127.0.0.1", 0), _Handler)
    server.people = {"anna@example.se": {"name": "Anna Andersson", "invoices": 3}}
    server.seen_auth = []
    server.broken = False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def connected(
    runtime: Runtime, settings: Settings, clock: FixedClock, tmp_path: Path, finance: FinanceApi
) -> Iterator[Runtime]:
    base = f"http://127.0.0.1:{finance.server_address[1]}"
    rt, _ = connected_runtime(settings, clock, tmp_path, http_base=base, env={"FINANCE_TOKEN": TOKEN})
    yield rt
    rt.close()


ANNA = SubjectKeys.of(emails=["anna@example.se"])


def test_export_and_erase_through_the_templated_calls(connected: Runtime, finance: FinanceApi) -> None:
    exported = export_from_system(connected, "finance", ANNA, subject_ref=REF, cause="request:R-1")
    assert exported.status == "done"
    (table,) = exported.tables
    assert table.rows == [{"name": "Anna Andersson", "invoices": 3}]
    erased = erase_in_system(connected, "finance", ANNA, subject_ref=REF, cause="request:R-2")
    assert (erased.status, erased.counts) == ("done", {"finance": {"deleted": 3, "anonymised": 0, "kept": 0}})
    assert finance.people == {}
    again = erase_in_system(connected, "finance", ANNA, subject_ref=REF, cause="request:R-3")
    assert (again.status, again.counts["finance"]["deleted"]) == ("done", 0)  # a 404: nothing left to delete
    assert set(finance.seen_auth) == {f"Bearer {TOKEN}"}


def test_a_failing_endpoint_or_a_missing_token_is_a_recorded_failure(connected: Runtime, finance: FinanceApi) -> None:
    finance.broken = True
    failed = erase_in_system(connected, "finance", ANNA, subject_ref=REF, cause="request:R-4")
    assert failed.status == "failed"
    assert failed.error is not None
    assert "503" in failed.error
    assert "anna" not in failed.error  # the identity in the URL is not repeated in the error
    connected.system_env = {}
    missing = export_from_system(connected, "finance", ANNA, subject_ref=REF, cause="request:R-5")
    assert missing.status == "failed"
    assert missing.error is not None
    assert "FINANCE_TOKEN" in missing.error
