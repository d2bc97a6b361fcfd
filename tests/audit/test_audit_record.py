"""Recording audit events: numbered without gaps, in the caller's transaction, and never with personal data."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.actor import Actor
from custos.audit import Action, AuditEvent, AuditHead, record, verify
from custos.audit.chain import GENESIS
from custos.clock import FixedClock
from custos.db import Database, make_engine
from custos.errors import InvalidInput

STAFF = Actor(kind="staff", id=3, label="staff:3", ip="192.0.2.10", user_agent="Firefox/128")


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(make_engine(database_url))
    yield database
    database.dispose()


def test_events_are_numbered_and_chained(db: Database, clock: FixedClock) -> None:
    ref = str(uuid.uuid4())
    with db.transaction() as session:
        first = record(session, clock, STAFF, Action.PERSON_READ, subject=ref, purpose="customer-relationship")
        second = record(session, clock, STAFF, "person.update", subject=ref, details={"fields": ["title"]})
    clock.advance(timedelta(minutes=5))
    with db.transaction() as session:
        third = record(session, clock, Actor.system("sweep"), "retention.sweep_done", details={"erased": 12})
    assert [first.seq, second.seq, third.seq] == [1, 2, 3]
    assert first.prev_hash == GENESIS
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    with db.transaction() as session:
        head = session.get_one(AuditHead, 1)
        stored = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert (head.last_seq, head.last_hash, head.count) == (3, third.hash, 3)
    assert stored[0].action == "person.read"
    assert stored[0].ip == "192.0.2.10"
    assert stored[0].subject == ref
    assert stored[2].at == clock.now()
    assert verify(db) == verify(db)  # verifying changes nothing
    assert verify(db).ok


def test_event_rolls_back_with_the_change_it_documents(db: Database, clock: FixedClock) -> None:
    with db.transaction() as session:
        record(session, clock, STAFF, "person.read", subject=str(uuid.uuid4()))

    def erase_then_fail() -> None:
        with db.transaction() as session:
            record(session, clock, STAFF, "person.erase", subject=str(uuid.uuid4()))
            raise RuntimeError("the erasure failed half-way")

    with pytest.raises(RuntimeError):
        erase_then_fail()
    with db.transaction() as session:
        event = record(session, clock, STAFF, "person.read", subject=str(uuid.uuid4()))
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    # No trace of the rolled-back erasure, and no gap where it would have been.
    assert event.seq == 2
    assert actions == ["person.read", "person.read"]
    assert verify(db).ok


def test_a_session_reused_across_transactions_continues_the_chain(db: Database, clock: FixedClock) -> None:
    with Session(db.engine, expire_on_commit=False) as session:
        with session.begin():
            record(session, clock, STAFF, "auth.login")
        with db.transaction() as other:
            record(other, clock, STAFF, "auth.login")
        # The same session again, after another writer appended: it must not reuse its outdated head.
        with session.begin():
            event = record(session, clock, STAFF, "auth.logout")
    assert event.seq == 3
    assert verify(db).ok


def test_concurrent_appenders_are_serialised(db: Database, clock: FixedClock) -> None:
    errors: list[BaseException] = []

    def append(worker: int) -> None:
        try:
            for _ in range(15):
                with db.transaction() as session:
                    record(session, clock, Actor.system(f"worker{worker}"), "doctor.run")
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = verify(db)
    assert report.ok, report.reason
    assert report.events_checked == 60


def test_personal_data_is_refused(db: Database, clock: FixedClock) -> None:
    cases: list[dict[str, object]] = [
        {"details": {"email": "eva@moln.se"}},
        {"details": {"note": "called +46 70 123 45 67"}},
        {"details": {"emails": ["ok", "eva@moln.se"]}},
        {"details": {"person": {"name": "Eva Sund"}}},  # nested objects invite copying whole records
        {"details": {"score": 0.5}},
        {"subject": "Eva Sund"},
        {"purpose": "asked by eva@moln.se"},
    ]
    for case in cases:
        with pytest.raises(InvalidInput) as caught, db.transaction() as session:
            record(session, clock, STAFF, "person.read", **case)  # type: ignore[arg-type]
        assert caught.value.problems, case
    with db.transaction() as session:
        assert session.scalar(select(AuditEvent.seq)) is None
        head = session.get_one(AuditHead, 1)
    assert head.last_seq == 0


def test_names_and_targets_are_checked(db: Database, clock: FixedClock) -> None:
    for action in ("login", "Person.Read", "person..read", "person.read "):
        with pytest.raises(InvalidInput, match="audit event refused"), db.transaction() as session:
            record(session, clock, STAFF, action)
    with pytest.raises(InvalidInput) as caught, db.transaction() as session:
        record(session, clock, STAFF, "grant.create", target="staff 3", outcome="OK!")
    assert {p.location for p in caught.value.problems} == {"target", "outcome"}
    with db.transaction() as session:
        # A name nobody registered yet is fine as long as it is a dotted name.
        event = record(session, clock, STAFF, "incident.notify", target="incident:7", outcome="denied")
    assert event.action == "incident.notify"
    assert event.outcome == "denied"


def test_a_long_user_agent_is_clipped_not_refused(db: Database, clock: FixedClock) -> None:
    actor = Actor(kind="token", id=5, label="token:5", ip="2001:db8::1", user_agent="x" * 1000)
    with db.transaction() as session:
        event = record(session, clock, actor, "person.export", subject=str(uuid.uuid4()), reference="DSR-2026-0042")
    assert event.user_agent is not None
    assert len(event.user_agent) == 300
    assert verify(db).ok


def test_a_rolled_back_savepoint_takes_its_events_with_it(db: Database, clock: FixedClock) -> None:
    with db.transaction() as session:
        record(session, clock, STAFF, "person.read", subject=str(uuid.uuid4()))
        savepoint = session.begin_nested()
        record(session, clock, STAFF, "person.erase", subject=str(uuid.uuid4()))
        savepoint.rollback()
        event = record(session, clock, STAFF, "person.read", subject=str(uuid.uuid4()))
    assert event.seq == 2
    assert verify(db).ok
