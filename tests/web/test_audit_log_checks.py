"""The audit log page's checks for the DPO: "Check the log" (seal, verify, `audit.verify`) in plain words, intact
or broken with what to do; the sealing's state and events sealed per day; the signed heads for a witness
(`audit.heads`) and one event's proof (`audit.proof`) as downloads; `audit.read` for all of it."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from custos.actor import Actor
from custos.audit import AuditEvent, record
from custos.audit.proofs import check_proof
from custos.audit.seal import seal
from custos.clock import FixedClock
from custos.runtime import Runtime
from custos.web.admin.pages import LANG_COOKIE
from tampering import tampering

LoginAs = Callable[..., TestClient]
STAFF = Actor(kind="staff", id=3, label="staff:3", ip="192.0.2.10")


def _fill(runtime: Runtime, n: int) -> list[int]:
    with runtime.db.transaction() as session:
        events = [record(session, runtime.clock, STAFF, "person.read", subject=str(uuid.uuid4())) for _ in range(n)]
        session.flush()
        return [event.seq for event in events]


def _seal(runtime: Runtime) -> None:
    seal(runtime.db, runtime.clock, runtime.keys)


def _events(runtime: Runtime, action: str) -> list[AuditEvent]:
    with runtime.db.transaction() as session:
        found = list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))
        session.expunge_all()
        return found


def _staff_id(web: TestClient) -> int:
    me: dict[str, Any] = web.get("/api/v1/auth/me").json()
    return int(me["staff"]["id"])


def test_a_reader_checks_the_log_and_is_told_it_is_intact_and_the_check_is_audited(
    login_as: LoginAs, runtime: Runtime
) -> None:
    _fill(runtime, 12)
    auditor = login_as("auditor")
    page = auditor.get("/admin/audit")
    assert page.status_code == 200
    assert 'action="/admin/audit/check#check"' in page.text
    assert "Check the log now" in page.text

    checked = auditor.post("/admin/audit/check")
    assert checked.status_code == 200
    text = checked.text
    assert "The log is intact." in text
    events = int(re.search(r'id="check-events">(\d+)<', text).group(1))  # type: ignore[union-attr]
    assert events >= 12  # the twelve, and the sign-in's events
    assert re.search(r'id="check-blocks">[1-9]\d*<', text)
    assert re.search(r'id="check-unsealed">0 ', text)  # the check seals first
    head = re.search(r'id="check-head" class="ref">([0-9a-f]{64})<', text)
    assert head is not None
    assert f'id="seal-up-to">{events}<' in text  # the page's sealing state is after the check's seal
    assert "Check the log again" in text

    [verified] = _events(runtime, "audit.verify")
    assert (verified.actor_kind, verified.actor_id, verified.outcome) == ("staff", _staff_id(auditor), "ok")
    assert verified.details == {"events_checked": events, "first_broken": None}


def test_the_check_needs_the_csrf_token_and_audit_read(login_as: LoginAs, runtime: Runtime) -> None:
    auditor = login_as("auditor")
    token = auditor.headers.pop("X-CSRF-Token")
    assert f'<input type="hidden" name="csrf_token" value="{token}">' in auditor.get("/admin/audit").text
    assert auditor.post("/admin/audit/check").status_code == 403  # a third-party page cannot send the token
    assert auditor.post("/admin/audit/check", data={"csrf_token": token}).status_code == 200  # the plain form

    agent = login_as("support_agent")  # takes in requests; may not read the log
    _fill(runtime, 1)
    _seal(runtime)
    for refused in (
        agent.get("/admin/audit"),
        agent.post("/admin/audit/check"),
        agent.get("/admin/audit/heads.jsonl"),
        agent.get("/admin/audit/1/proof.json"),
    ):
        assert refused.status_code == 403
    assert [e.actor_id for e in _events(runtime, "audit.verify")] == [_staff_id(auditor)]  # only the auditor's
    assert _events(runtime, "audit.heads") == []
    assert _events(runtime, "audit.proof") == []


def test_a_tampered_event_is_named_with_its_block_and_what_to_do(login_as: LoginAs, runtime: Runtime) -> None:
    seqs = _fill(runtime, 20)
    _seal(runtime)
    auditor = login_as("auditor")
    edited = seqs[7]
    with tampering(runtime.db.engine) as connection:
        connection.execute(update(AuditEvent).where(AuditEvent.seq == edited).values(target="staff:99"))
    checked = auditor.post("/admin/audit/check")
    assert checked.status_code == 200  # a broken log is a finding to show, not an error of the page
    text = checked.text
    assert "The log is broken." in text
    assert re.search(rf"The check stopped at event {edited}, in sealed block \d+\.", text)
    assert f"event {edited}: hash does not match its contents (edited?)" in text
    assert "Tell your security contact now" in text
    assert "The log is evidence" in text
    assert 'role="alert" id="check-result"' in text
    [verified] = _events(runtime, "audit.verify")
    assert verified.outcome == "failed"
    assert verified.details["first_broken"] == edited

    auditor.cookies.set(LANG_COOKIE, "sv")
    swedish = auditor.post("/admin/audit/check").text
    assert "Loggen är bruten." in swedish
    assert f"Kontrollen stannade vid händelse {edited}" in swedish


def test_the_signed_heads_download_as_json_lines_for_a_witness_and_are_audited(
    login_as: LoginAs, runtime: Runtime
) -> None:
    _fill(runtime, 3)
    _seal(runtime)
    _fill(runtime, 2)
    _seal(runtime)
    auditor = login_as("auditor")
    page = auditor.get("/admin/audit").text
    assert 'action="/admin/audit/heads.jsonl"' in page
    assert "custos audit check-proof" in page

    heads = auditor.get("/admin/audit/heads.jsonl")
    assert heads.status_code == 200
    assert heads.headers["content-type"].startswith("application/jsonl")
    assert re.fullmatch(
        r'attachment; filename="custos-audit-heads-\d{4}-\d{2}-\d{2}\.jsonl"', heads.headers["content-disposition"]
    )
    lines = [json.loads(line) for line in heads.text.splitlines()]
    assert len(lines) >= 2
    assert [line["block"] for line in lines] == sorted(line["block"] for line in lines)
    for line in lines:
        assert re.fullmatch(r"[0-9a-f]{64}", line["head"])
        assert line["signature"]
        assert line["public_key"]
    newest = lines[-1]["block"]

    later = auditor.get("/admin/audit/heads.jsonl", params={"after": str(newest - 1)})
    assert [json.loads(line)["block"] for line in later.text.splitlines()] == [newest]
    assert f"after-{newest - 1}" in later.headers["content-disposition"]
    assert auditor.get("/admin/audit/heads.jsonl", params={"after": "last"}).status_code == 422

    exported = _events(runtime, "audit.heads")
    assert [e.details for e in exported] == [{"after": -1, "heads": len(lines)}, {"after": newest - 1, "heads": 1}]
    assert {e.actor_id for e in exported} == {_staff_id(auditor)}


def test_an_events_proof_downloads_and_holds_offline_and_an_unsealed_one_is_explained(
    login_as: LoginAs, runtime: Runtime
) -> None:
    [sealed] = _fill(runtime, 1)
    _seal(runtime)
    auditor = login_as("auditor")
    page = auditor.get("/admin/audit").text
    assert f'href="/admin/audit/{sealed}/proof.json" download>Proof' in page
    assert "Not sealed yet" in page  # the auditor's own sign-in, appended after the seal

    proof = auditor.get(f"/admin/audit/{sealed}/proof.json")
    assert proof.status_code == 200
    assert proof.headers["content-disposition"] == f'attachment; filename="custos-audit-proof-{sealed}.json"'
    body: dict[str, Any] = proof.json()
    assert body["event"]["seq"] == sealed
    assert check_proof(body) == []  # what `custos audit check-proof` checks, with no database and no keys
    [given] = _events(runtime, "audit.proof")
    assert given.details == {"seq": sealed}
    assert given.subject == body["event"]["subject"]  # handed out about that person: on their history

    [unsealed] = _fill(runtime, 1)
    waiting = auditor.get(f"/admin/audit/{unsealed}/proof.json")
    assert waiting.status_code == 422  # a page saying why, not a server error
    assert f"audit event {unsealed} is not sealed yet" in waiting.text
    assert auditor.get("/admin/audit/999999/proof.json").status_code == 404
    assert len(_events(runtime, "audit.proof")) == 1  # refused ones hand nothing out


def test_the_sealing_state_and_the_events_sealed_per_day(
    login_as: LoginAs, runtime: Runtime, clock: FixedClock
) -> None:
    day_before = clock.now().date() - timedelta(days=1)
    clock.advance(timedelta(days=-1))
    _fill(runtime, 4)
    _seal(runtime)
    clock.advance(timedelta(days=1))
    _fill(runtime, 6)
    _seal(runtime)
    auditor = login_as("auditor")
    text = auditor.get("/admin/audit").text
    up_to = int(re.search(r'id="seal-up-to">(\d+)<', text).group(1))  # type: ignore[union-attr]
    assert up_to >= 10
    assert re.search(r'id="seal-block">\d+<', text)
    assert re.search(r'id="seal-waiting">[1-9]\d* ', text)  # the sign-in's events, sealed within seconds
    rows = dict(
        re.findall(r'<th scope="row" class="nowrap">(\d{4}-\d{2}-\d{2})</th>\s*<td class="num">(\d+)</td>', text)
    )
    assert len(rows) == 30
    assert int(rows[day_before.isoformat()]) >= 4
    assert int(rows[clock.now().date().isoformat()]) == 6
    chart = text.split('<svg class="chart"', 1)[1].split("</svg>", 1)[0]
    assert 'aria-labelledby="seal-chart-title seal-chart-desc"' in chart
    assert chart.count('<rect class="bar cat-0"') == 30
    assert "events sealed in 30 days; the most on" in chart


def test_an_event_edited_before_it_was_sealed_is_named_without_a_block(login_as: LoginAs, runtime: Runtime) -> None:
    auditor = login_as("auditor")
    _seal(runtime)
    [edited] = _fill(runtime, 1)
    with tampering(runtime.db.engine) as connection:
        connection.execute(update(AuditEvent).where(AuditEvent.seq == edited).values(target="staff:99"))
    text = auditor.post("/admin/audit/check").text  # the sealer refuses it, the check names it
    assert f"The check stopped at event {edited}." in text
    assert "in sealed block" not in text
    assert f"event {edited}: hash does not match its contents (edited?)" in text
