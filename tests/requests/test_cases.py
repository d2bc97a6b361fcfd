"""Intake rules, the identity codes, and deadlines on the case: the service functions below the letters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from custos.actor import Actor
from custos.audit.models import AuditEvent
from custos.clock import FixedClock
from custos.errors import Conflict, InvalidInput
from custos.requests import cases, codes
from custos.requests.models import SubjectRequest
from custos.requests.schemas import RequestCreate
from custos.runtime import Runtime

STAFF = Actor(kind="staff", id=1, label="staff:1")


def _create(runtime: Runtime, channel: str = "web", **fields: object) -> SubjectRequest:
    data = RequestCreate(**{"kind": "access", "email": "Anna@Example.se", **fields})  # type: ignore[arg-type]
    with runtime.work(STAFF) as work:
        req, _ = cases.create(work, data, channel=channel)
        return req


def _problems(exc: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return {p.location for p in exc.value.problems}


def test_every_problem_of_a_request_is_named_at_once(runtime: Runtime) -> None:
    with pytest.raises(InvalidInput) as exc:
        _create(runtime, kind="rectification", email="not-an-address", phone="12", processor_service="nope")
    assert _problems(exc) == {"email", "phone", "details", "processor_service"}


def test_a_web_request_arrives_when_it_is_sent(runtime: Runtime) -> None:
    with pytest.raises(InvalidInput) as exc:
        _create(runtime, received_at=datetime(2026, 11, 1, tzinfo=UTC))
    assert _problems(exc) == {"received_at"}


def test_staff_entry_keeps_the_real_arrival_and_refuses_the_future(runtime: Runtime, clock: FixedClock) -> None:
    arrived = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    req = _create(runtime, channel="staff", received_at=arrived)
    assert req.received_at == arrived
    assert req.due_on == date(2026, 12, 21)  # 20 December 2026 is a Sunday
    with pytest.raises(InvalidInput) as exc:
        _create(runtime, channel="staff", received_at=clock.now() + timedelta(hours=1))
    assert _problems(exc) == {"received_at"}


def test_contact_details_are_stored_encrypted_and_never_audited(runtime: Runtime) -> None:
    req = _create(runtime, phone="070-123 45 67", organisation="Acme AB")
    assert b"anna@example.se" not in req.email_enc
    with runtime.db.transaction() as session:
        assert cases.contact_email(runtime.keys, cases.load(session, req.ref)) == "anna@example.se"
        details = [str(d) for d in session.scalars(select(AuditEvent.details_json))]
    assert not any("anna" in d.lower() or "acme" in d.lower() for d in details)


def test_a_verification_code_allows_five_wrong_guesses_then_none(runtime: Runtime) -> None:
    req = _create(runtime)
    with runtime.work(STAFF) as work:
        req = cases.load(work.session, req.ref)
        code = codes.issue(work, req, "verify")
        outcomes = [codes.check(work, req, "verify", "wrong") for _ in range(5)]
        assert outcomes == ["wrong"] * 4 + ["exhausted"]
        assert codes.check(work, req, "verify", code) == "exhausted"
        fresh = codes.issue(work, req, "verify")
        assert codes.check(work, req, "verify", code) == "wrong"  # an older code stops working
        assert codes.check(work, req, "verify", fresh) == "ok"
        assert codes.check(work, req, "verify", fresh) == "none"  # only once


def test_a_verification_code_expires(runtime: Runtime, clock: FixedClock) -> None:
    req = _create(runtime)
    with runtime.work(STAFF) as work:
        req = cases.load(work.session, req.ref)
        code = codes.issue(work, req, "verify")
    clock.advance(codes.LIFETIME["verify"] + timedelta(seconds=1))
    with runtime.work(STAFF) as work:
        assert codes.check(work, cases.load(work.session, req.ref), "verify", code) == "expired"


def test_waiting_for_the_subject_pauses_the_clock(runtime: Runtime, clock: FixedClock) -> None:
    req = _create(runtime)
    assert req.due_on == date(2026, 12, 29)
    with runtime.db.transaction() as session:
        req = cases.load(session, req.ref)
        cases.pause_starts(req, clock.now())
    clock.advance(timedelta(days=3))
    with runtime.db.transaction() as session:
        req = cases.load(session, req.ref)
        cases.pause_ends(req, clock.now(), runtime.policy.jurisdiction)
        assert req.due_on == date(2027, 1, 4)  # 3 paused days: 1 January is a holiday, then a weekend
        assert len(req.pauses) == 1
        assert all(req.pauses[0])


def test_an_extension_needs_a_reason_is_made_once_and_only_before_the_deadline(
    runtime: Runtime, clock: FixedClock
) -> None:
    ref = _create(runtime).ref
    with runtime.work(STAFF) as work, pytest.raises(InvalidInput) as exc:
        cases.extend(work, ref, months=3, reason="busy")
    assert _problems(exc) == {"months", "reason"}
    with runtime.work(STAFF) as work:
        req = cases.extend(work, ref, months=2, reason="Many systems hold data about the person.")
        assert req.extended_due_on == date(2027, 3, 1)  # 29 Feb does not exist; 28 Feb 2027 is a Sunday
    with runtime.work(STAFF) as work, pytest.raises(Conflict, match="already extended"):
        cases.extend(work, ref, months=1, reason="Many systems hold data about the person.")
    late = _create(runtime).ref
    clock.advance(timedelta(days=40))
    with runtime.work(STAFF) as work, pytest.raises(Conflict, match="before the deadline"):
        cases.extend(work, late, months=1, reason="Many systems hold data about the person.")


def test_overdue_requests_come_first_and_say_so(runtime: Runtime, clock: FixedClock) -> None:
    old = _create(runtime, channel="staff", received_at=datetime(2026, 10, 1, 9, tzinfo=UTC)).ref
    new = _create(runtime).ref
    with runtime.work(STAFF) as work:
        rows = cases.list_requests(work)
        assert [r.ref for r in rows] == [old, new]
        assert rows[0].overdue
        assert rows[0].days_left < 0
        assert not rows[1].overdue
        assert [r.ref for r in cases.list_requests(work, overdue=True)] == [old]


def test_a_refusal_needs_reasons_and_closes_the_case(runtime: Runtime, clock: FixedClock) -> None:
    ref = _create(runtime).ref
    with runtime.work(STAFF) as work, pytest.raises(InvalidInput):
        cases.refuse(work, ref, "no")
    with runtime.work(STAFF) as work:
        cases.refuse(work, ref, "Manifestly unfounded: the fourth identical request this week.")
    with runtime.work(STAFF) as work, pytest.raises(Conflict, match="is refused; it cannot become withdrawn"):
        cases.withdraw(work, ref)


def test_misdated_lists_open_requests_whose_due_date_the_calendar_does_not_give(
    runtime: Runtime, clock: FixedClock
) -> None:
    """The live-data check behind the deadline promise: every open request is due on the day its receipt and the
    organisation's own calendar give."""
    right = _create(runtime).ref
    wrong = _create(runtime).ref
    where = runtime.policy.jurisdiction
    with runtime.db.transaction() as session:
        assert cases.misdated(session, where) == []
        req = cases.load(session, wrong)
        expected = req.due_on
        req.due_on = date(2026, 12, 24)  # julafton: never a due date in Sweden
    with runtime.db.transaction() as session:
        assert cases.misdated(session, where) == [(wrong, date(2026, 12, 24), expected)]
        assert right not in [ref for ref, _, _ in cases.misdated(session, where)]
