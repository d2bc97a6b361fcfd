"""Rectification, restriction, portability, objections and the processor redirect, through the services."""

from __future__ import annotations

import zipfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from requests_support import ANNA, Connected
from sqlalchemy import select

from custos.actor import Actor
from custos.clock import FixedClock
from custos.errors import Conflict, InvalidInput
from custos.register.models import Person
from custos.register.people import find_person
from custos.register.restriction import is_restricted
from custos.register.suppression import is_suppressed
from custos.requests import actions, answers, cases, intake, reminders
from custos.requests.schemas import RequestCreate
from custos.requests.staging import read_parts
from custos.work import Work

TESTER = Actor.system("test")  # sets up and reads the register around the requests under test

SUBJECT = Actor(kind="subject", id=None, label="subject:web")
STAFF = Actor(kind="staff", id=1, label="staff:1")


def submit(c: Connected, kind: str, **extra: object) -> str:
    return intake.submit(c.runtime, SUBJECT, RequestCreate(kind=kind, email=ANNA, **extra), channel="web").ref


def confirm(c: Connected, ref: str) -> str:
    code = parse_qs(urlparse(c.outbox.link(r"https?://\S+/rights/verify/\S+")).query)["code"][0]
    return intake.confirm(c.runtime, ref, code, SUBJECT)


def state(c: Connected, ref: str) -> str:
    with c.runtime.db.transaction() as session:
        return cases.load(session, ref).state


def test_objection_to_marketing_is_honoured_at_once_without_an_identity_check(connected: Connected) -> None:
    c = connected
    ref = submit(c, "objection_marketing")
    assert state(c, ref) == "completed"
    with c.runtime.db.transaction() as session:
        assert is_suppressed(Work(session, c.runtime.clock, c.runtime.keys, c.runtime.policy, TESTER), email=ANNA)
    assert "verify" not in c.outbox.last().body.lower() or "/rights/verify/" not in c.outbox.last().body


def test_restriction_excludes_the_person_once_confirmed_and_tells_the_recipients(connected: Connected) -> None:
    c = connected
    ref = submit(c, "restriction")
    assert confirm(c, ref) == "completed"
    with c.runtime.db.transaction() as session:
        person_id = session.scalar(select(Person.id))
        assert person_id is not None
        assert is_restricted(Work(session, c.runtime.clock, c.runtime.keys, c.runtime.policy, TESTER), person_id)
        kinds = [e.kind for e in cases.load(session, ref).events]
    assert "work_done" in kinds


def test_rectification_waits_for_staff_then_corrects_the_register(connected: Connected) -> None:
    c = connected
    ref = submit(c, "rectification", details="My title is Chief Technology Officer, not CTO.")
    assert confirm(c, ref) == "verified"  # staff review first (Art. 16 is applied once the change is checked)
    with pytest.raises(InvalidInput, match="say what to change"):
        actions.approve(c.runtime, ref, STAFF, "Checked with the customer's contract page.", {"shoe_size": "44"})
    result = actions.approve(
        c.runtime, ref, STAFF, "Checked with the customer's contract page.", {"title": "Chief Technology Officer"}
    )
    assert result.state == "completed"
    with c.runtime.db.transaction() as session:
        assert (
            find_person(Work(session, c.runtime.clock, c.runtime.keys, c.runtime.policy, TESTER), "email", ANNA).title
            == "Chief Technology Officer"
        )
    assert "title" in c.outbox.last().body


def test_objection_to_legitimate_interest_needs_a_documented_decision(connected: Connected) -> None:
    c = connected
    ref = submit(c, "objection_other", details="I never wanted to be a prospect.")
    assert confirm(c, ref) == "verified"
    result = actions.approve(c.runtime, ref, STAFF, "No compelling grounds override the objection; processing stops.")
    assert result.state == "completed"
    assert "No compelling grounds" in c.outbox.last().body


def test_portability_carries_only_what_consent_or_contract_covers(connected: Connected) -> None:
    c = connected
    ref = submit(c, "portability")
    confirm(c, ref)
    with c.runtime.db.transaction() as session:
        req = cases.load(session, ref)
        assert req.package_path
        path = Path(req.package_path)
    # Anna is a prospect (legitimate interest): her register relationship is not portable (Art. 20(1)(a)).
    assert read_parts(c.runtime, ref)["register"]["person"]["relationships"] == []
    with zipfile.ZipFile(path) as package:
        names = package.namelist()
    assert not any("art15" in name for name in names)
    assert any(name.endswith(".json") for name in names)


def test_a_request_about_a_customer_environment_is_redirected(connected: Connected) -> None:
    c = connected
    result = intake.submit(
        c.runtime,
        SUBJECT,
        RequestCreate(kind="erasure", email=ANNA, processor_service="elastx-cloud-platform"),
        channel="web",
    )
    assert result.state == "completed"
    assert "Elastx Cloud Platform" in c.outbox.last().body
    with c.runtime.work(STAFF) as work:
        cases.record_customer_informed(work, result.ref, "Told Acme's DPO by phone.")
        assert [e.kind for e in cases.load(work.session, result.ref).events][-2:] == [
            "letter_sent",
            "customer_informed",
        ]
        assert work.session.scalar(select(Person.id)) is not None  # nothing done on substance


def test_refusal_and_extension_letters_go_to_the_subject(connected: Connected) -> None:
    c = connected
    ref = submit(c, "access")
    actions.extend(c.runtime, ref, STAFF, months=1, reason="Several systems must be searched by hand.")
    assert "Several systems must be searched by hand." in c.outbox.last().body
    actions.refuse(c.runtime, ref, STAFF, "Manifestly excessive: the same request was answered last week.")
    body = c.outbox.last().body
    assert "Manifestly excessive" in body
    assert "IMY" in body


def test_a_mail_server_that_is_down_does_not_lose_the_request(connected: Connected) -> None:
    c = connected
    working = c.runtime.settings
    blocked = c.outbox.directory.parent / "not-a-directory"
    blocked.write_text("a file where the outbox should be")
    c.runtime.settings = replace(working, outbox_dir=blocked)
    ref = submit(c, "access")
    c.runtime.settings = working
    with c.runtime.db.transaction() as session:
        req = cases.load(session, ref)
        assert req.state == "verifying"
        assert [e.kind for e in req.events].count("letter_failed") == 2
    assert intake.send_verification(c.runtime, ref, STAFF)


def test_the_assignee_is_reminded_a_week_and_a_day_before(connected: Connected, clock: FixedClock) -> None:
    c = connected
    ref = submit(c, "access")
    with c.runtime.db.transaction() as session:
        due = cases.load(session, ref).due_on
    assert reminders.send_due_reminders(c.runtime).sent == []
    clock.set(clock.now() + (due - clock.now().date() - timedelta(days=7)))
    assert reminders.send_due_reminders(c.runtime).sent == [(ref, 7)]
    assert reminders.send_due_reminders(c.runtime).sent == []  # once
    clock.advance(timedelta(days=6))
    assert reminders.send_due_reminders(c.runtime).sent == [(ref, 1)]
    clock.advance(timedelta(days=2))
    assert reminders.send_due_reminders(c.runtime).sent == [(ref, reminders.OVERDUE)]
    assert reminders.send_due_reminders(c.runtime).sent == []
    assert "privacy@elastx.com" in {m.to for m in c.outbox.letters}


def test_withdrawn_requests_stop(connected: Connected) -> None:
    c = connected
    ref = submit(c, "erasure")
    with c.runtime.work(SUBJECT) as work:
        cases.withdraw(work, ref, "changed my mind")
    with pytest.raises(Conflict, match="is withdrawn"):
        confirm(c, ref)
    with pytest.raises(Conflict):
        answers.complete(c.runtime, ref, STAFF, note=None)
