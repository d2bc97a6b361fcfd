"""Recording audit events: numbered, in the caller's transaction, sealed into blocks, never with personal data."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.actor import Actor
from custos.audit import Action, AuditBlock, AuditEvent, AuditHead, record, verify
from custos.audit.log import Entry, record_many
from custos.audit.seal import seal
from custos.clock import FixedClock
from custos.db import Database, make_engine
from custos.errors import InvalidInput

STAFF = Actor(kind="staff", id=3, label="staff:3", ip="192.0.2.10", user_agent="Firefox/128")


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(make_engine(database_url))
    yield database
    database.dispose()


def test_events_are_numbered_and_sealed(db: Database, clock: FixedClock) -> None:
    ref = str(uuid.uuid4())
    with db.transaction() as session:
        first = record(session, clock, STAFF, Action.PERSON_READ, subject=ref, purpose="customer-relationship")
        second = record(session, clock, STAFF, "person.update", subject=ref, details={"fields": ["title"]})
    clock.advance(timedelta(minutes=5))
    with db.transaction() as session:
        third = record(session, clock, Actor.system("sweep"), "retention.sweep_done", details={"erased": 12})
    assert [first.seq, second.seq, third.seq] == [1, 2, 3]
    assert (first.prev_hash, second.prev_hash) == (None, None)
    assert len({first.hash, second.hash, third.hash}) == 3
    assert seal(db, clock, None).events == 3
    with db.transaction() as session:
        head = session.get_one(AuditHead, 1)
        block = session.scalars(select(AuditBlock)).one()
        stored = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert (head.last_seq, head.last_hash, head.count, head.blocks) == (3, block.head, 3, 1)
    assert (block.first_seq, block.last_seq, block.size, block.holes) == (1, 3, 3, [])
    assert stored[0].action == "person.read"
    assert stored[0].ip == "192.0.2.10"
    assert stored[0].subject == ref
    assert stored[2].at == clock.now()
    assert verify(db) == verify(db)  # verifying changes nothing
    assert verify(db).ok


def test_event_rolls_back_with_the_change_it_documents(db: Database, clock: FixedClock, backend: str) -> None:
    with db.transaction() as session:
        record(session, clock, STAFF, "person.read", subject=str(uuid.uuid4()))

    def erase_then_fail() -> None:
        with db.transaction() as session:
            record(session, clock, STAFF, "person.erase", subject=str(uuid.uuid4()))
            session.flush()  # the event is written (and numbered) before the failure
            raise RuntimeError("the erasure failed half-way")

    with pytest.raises(RuntimeError):
        erase_then_fail()
    with db.transaction() as session:
        event = record(session, clock, STAFF, "person.read", subject=str(uuid.uuid4()))
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    # No trace of the rolled-back erasure. On PostgreSQL its number is gone with it (sequences do not roll back):
    # the block records that hole, so it is not taken for a deleted event.
    assert actions == ["person.read", "person.read"]
    seal(db, clock, None)
    with db.transaction() as session:
        block = session.scalars(select(AuditBlock)).one()
    assert (event.seq, block.holes) == ((2, []) if backend == "sqlite" else (3, [(2, 2)]))
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


def test_concurrent_appenders_and_sealers_give_one_whole_log(db: Database, clock: FixedClock) -> None:
    errors: list[BaseException] = []
    done = threading.Event()

    def keep_sealing() -> None:
        try:
            while not done.is_set():
                seal(db, clock, None, max_block=7)
        except BaseException as exc:
            errors.append(exc)

    def append(worker: int) -> None:
        try:
            for _ in range(15):
                with db.transaction() as session:
                    record(session, clock, Actor.system(f"worker{worker}"), "doctor.run")
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
    sealer = threading.Thread(target=keep_sealing)
    sealer.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    sealer.join()
    assert errors == []
    seal(db, clock, None)
    report = verify(db)
    assert report.ok, report.reason
    assert (report.events_checked, report.unsealed) == (60, 0)


def test_a_batch_is_recorded_in_one_go_after_what_the_unit_recorded_before(db: Database, clock: FixedClock) -> None:
    refs = [str(uuid.uuid4()) for _ in range(3)]
    with db.transaction() as session:
        record(session, clock, STAFF, "retention.sweep_start")
        written = record_many(session, clock, STAFF, [Entry("person.erase", subject=ref) for ref in refs])
    assert written == 3
    with db.transaction() as session:
        rows = session.execute(select(AuditEvent.action, AuditEvent.subject).order_by(AuditEvent.seq)).all()
    assert rows == [("retention.sweep_start", None), *(("person.erase", ref) for ref in refs)]
    seal(db, clock, None)
    assert verify(db).ok


def test_a_bad_entry_in_a_batch_writes_none(db: Database, clock: FixedClock) -> None:
    entries = [Entry("person.erase", subject=str(uuid.uuid4())), Entry("person.erase", subject="eva@moln.se")]
    with pytest.raises(InvalidInput), db.transaction() as session:
        record_many(session, clock, STAFF, entries)
    with db.transaction() as session:
        assert session.scalar(select(AuditEvent.seq)) is None


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
