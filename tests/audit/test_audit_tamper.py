"""Tampering with the audit log straight in the database is refused, and what gets past is detected.

To tamper, a test must first get past Custos's own triggers, as an attacker with the database owner's rights
could: SQLite drops them; PostgreSQL sets `session_replication_role = replica` (the test user is a superuser).
The fixture's 50 events are sealed (one block of 50, signed) before anyone tampers, as the sealer running next
to the server would have done within seconds.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from custos.actor import Actor
from custos.audit import AuditBlock, AuditEvent, record, verify
from custos.audit.chain import PLAIN, format_at, leaf_bytes, leaf_hash
from custos.audit.seal import seal
from custos.clock import FixedClock
from custos.crypto.keyring import Key, KeyRing
from custos.db import Database, make_engine
from tampering import tampering

STAFF = Actor(kind="staff", id=3, label="staff:3", ip="192.0.2.10")
KEYS = KeyRing([Key.generate(1)])


@pytest.fixture
def db(database_url: str, clock: FixedClock) -> Iterator[Database]:
    database = Database(make_engine(database_url))
    for batch in range(5):
        with database.transaction() as session:
            for n in range(10):
                record(session, clock, STAFF, "person.read", subject=str(uuid.uuid4()), details={"n": batch * 10 + n})
        clock.advance(timedelta(hours=1))
    assert seal(database, clock, KEYS).events == 50
    yield database
    database.dispose()


def test_an_untouched_chain_verifies(db: Database) -> None:
    report = verify(db, batch_size=7, keys=KEYS)
    assert report.ok
    assert report.events_checked == 50
    assert (report.blocks, report.unsealed) == (1, 0)
    assert report.first_broken is None
    assert report.reason is None


def test_an_edited_event_is_named(db: Database) -> None:
    with tampering(db.engine) as connection:
        connection.execute(update(AuditEvent).where(AuditEvent.seq == 41).values(target="staff:99"))
    report = verify(db, batch_size=7)
    assert not report.ok
    assert report.first_broken == 41
    assert report.reason == "event 41: hash does not match its contents (edited?)"
    assert report.events_checked == 40


def test_an_edited_and_rehashed_event_breaks_the_blocks_merkle_root(db: Database) -> None:
    with tampering(db.engine) as connection:
        row = connection.execute(select(AuditEvent.__table__).where(AuditEvent.seq == 41)).one()
        plain = [("staff:1" if name == "actor_label" else row._mapping[name]) for name in PLAIN]
        forged = leaf_hash(leaf_bytes(format_at(row.at), plain, row.details_json))
        connection.execute(update(AuditEvent).where(AuditEvent.seq == 41).values(actor_label="staff:1", hash=forged))
    report = verify(db)
    assert (report.ok, report.first_broken) == (False, 1)
    assert report.reason == (
        "block 1 (events 1–50): its events do not give its Merkle root (an event re-hashed, or events re-ordered?)"
    )


def test_reordered_events_break_the_blocks_merkle_root(db: Database) -> None:
    with tampering(db.engine) as connection:
        connection.execute(text("UPDATE audit_event SET seq = 1000 WHERE seq = 20"))
        connection.execute(text("UPDATE audit_event SET seq = 20 WHERE seq = 21"))
        connection.execute(text("UPDATE audit_event SET seq = 21 WHERE seq = 1000"))
    report = verify(db)
    assert (report.ok, report.first_broken) == (False, 1)
    assert report.reason is not None
    assert "Merkle root" in report.reason


def test_a_rewritten_block_head_is_caught(db: Database) -> None:
    with tampering(db.engine) as connection:
        connection.execute(text("UPDATE audit_block SET root = :r"), {"r": "1" * 64})
    report = verify(db)
    assert (report.ok, report.first_broken) == (False, 1)
    assert report.reason == "block 1: its header does not hash to its head (edited?)"


def test_a_block_re_hashed_without_the_signing_key_is_caught(db: Database) -> None:
    from custos.audit.seal import header_hash

    with tampering(db.engine) as connection:
        block = connection.execute(select(AuditBlock.__table__)).one()
        forged = AuditBlock(**{**block._mapping, "root": "2" * 64})
        forged.head = header_hash(forged)
        connection.execute(text("UPDATE audit_block SET root = :r, head = :h"), {"r": forged.root, "h": forged.head})
        connection.execute(text("UPDATE audit_head SET last_hash = :h"), {"h": forged.head})
    report = verify(db, keys=KEYS)
    assert (report.ok, report.first_broken) == (False, 1)
    assert report.reason == "block 1: the signature of its head is not valid (forged?)"


def test_a_deleted_event_is_named(db: Database) -> None:
    with tampering(db.engine) as connection:
        connection.execute(text("DELETE FROM audit_event WHERE seq = 41"))
    report = verify(db, batch_size=7)
    assert (report.ok, report.first_broken) == (False, 41)
    assert report.reason == "event 41 is missing from block 1 (deleted?)"


def test_deleted_first_events_are_named(db: Database) -> None:
    with tampering(db.engine) as connection:
        connection.execute(text("DELETE FROM audit_event WHERE seq <= 3"))
    report = verify(db)
    assert (report.first_broken, report.reason) == (1, "events 1–3 are missing from block 1 (deleted?)")


def test_a_deleted_newest_event_is_caught_by_its_block(db: Database) -> None:
    with tampering(db.engine) as connection:
        connection.execute(text("DELETE FROM audit_event WHERE seq = 50"))
    report = verify(db, batch_size=7)
    assert (report.ok, report.first_broken) == (False, 50)
    assert report.reason == "event 50 is missing from block 1 (deleted?)"
    assert report.events_checked == 49


def test_a_deleted_newest_block_is_caught_by_the_head(db: Database, clock: FixedClock) -> None:
    with db.transaction() as session:
        record(session, clock, STAFF, "person.read", subject=str(uuid.uuid4()))
    seal(db, clock, KEYS)
    with tampering(db.engine) as connection:
        connection.execute(text("DELETE FROM audit_event WHERE seq = 51"))
        connection.execute(text("DELETE FROM audit_block WHERE block = 2"))
    report = verify(db)
    assert (report.ok, report.first_broken) == (False, 51)
    assert report.reason == "head says events up to 51 are sealed, blocks end at 50 (newest deleted?)"


def test_a_head_moved_back_is_caught(db: Database) -> None:
    with tampering(db.engine) as connection:
        connection.execute(text("UPDATE audit_head SET last_seq = 48, count = 48"))
    report = verify(db)
    assert (report.ok, report.first_broken) == (False, 49)
    assert report.reason == "blocks end at event 50, head says 48 (head rolled back?)"


def test_an_event_slipped_into_a_hole_of_a_sealed_block_is_caught(db: Database, clock: FixedClock) -> None:
    def rolled_back() -> None:
        with db.transaction() as session:
            record(session, clock, STAFF, "person.read", subject=str(uuid.uuid4()))
            session.flush()
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        rolled_back()
    with db.transaction() as session:
        record(session, clock, STAFF, "person.read", subject=str(uuid.uuid4()))
    seal(db, clock, KEYS)
    assert verify(db).ok
    with db.transaction() as session:
        block = session.scalars(select(AuditBlock).where(AuditBlock.block == 2)).one()
        holes, last = block.holes, block.last_seq
    if not holes:
        # SQLite hands out rowids after the largest committed one: a rollback leaves no hole to slip into.
        assert last == 51
        return
    assert holes == [(51, 51)]
    with tampering(db.engine) as connection:
        row = dict(connection.execute(select(AuditEvent.__table__).where(AuditEvent.seq == 52)).one()._mapping)
        connection.execute(AuditEvent.__table__.insert().values({**row, "seq": 51}))
    report = verify(db)
    assert (report.ok, report.first_broken) == (False, 51)
    assert report.reason == "event 51 was not in block 2 when it was sealed (inserted?)"


def test_an_edited_event_not_yet_sealed_is_named(db: Database, clock: FixedClock) -> None:
    with db.transaction() as session:
        record(session, clock, STAFF, "person.read", subject=str(uuid.uuid4()))
    with tampering(db.engine) as connection:
        connection.execute(update(AuditEvent).where(AuditEvent.seq == 51).values(outcome="denied"))
    report = verify(db)
    assert (report.ok, report.first_broken, report.events_checked) == (False, 51, 50)
    assert report.reason == "event 51: hash does not match its contents (edited?)"
    # and the sealer will not seal it: the edit stays visible
    assert seal(db, clock, KEYS).refused == 51


def test_verify_can_run_inside_the_callers_transaction(db: Database) -> None:
    with tampering(db.engine) as connection:
        connection.execute(text("DELETE FROM audit_event WHERE seq = 7"))
    with db.transaction() as session:
        report = verify(session, batch_size=4)
    assert (report.first_broken, report.events_checked) == (7, 6)


def test_progress_is_reported_per_block(db: Database, clock: FixedClock) -> None:
    with db.transaction() as session:
        for _ in range(30):
            record(session, clock, STAFF, "person.read", subject=str(uuid.uuid4()))
    seal(db, clock, KEYS, max_block=20)
    seen: list[tuple[int, int]] = []
    verify(db, progress=lambda done, total: seen.append((done, total)), batch_size=7)
    assert seen == [(50, 80), (70, 80), (80, 80), (80, 80)]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET outcome = 'denied' WHERE seq = 10",
        "DELETE FROM audit_event WHERE seq = 50",
        "DELETE FROM audit_event",
        "DELETE FROM audit_head",
        "UPDATE audit_head SET last_seq = 49, count = 49",
        "UPDATE audit_block SET root = 'x'",
        "DELETE FROM audit_block",
    ],
)
def test_the_apps_own_connection_cannot_change_the_log(db: Database, statement: str) -> None:
    with pytest.raises(DBAPIError) as caught, db.transaction() as session:
        session.execute(text(statement))
    message = str(caught.value.orig)
    assert "append-only" in message or "only moves forward" in message
    assert "refused" in message
    assert verify(db).ok


def test_truncate_is_refused_on_postgresql(db: Database, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("SQLite has no TRUNCATE; DELETE without WHERE is covered above")
    for table in ("audit_event", "audit_head", "audit_block"):
        with pytest.raises(DBAPIError, match="refused"), db.transaction() as session:
            session.execute(text(f"TRUNCATE {table}"))
    assert verify(db).ok


def test_an_unreadable_value_is_reported_not_raised(db: Database, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("only SQLite lets a column hold text of the wrong shape")
    with tampering(db.engine) as connection:
        connection.execute(text("UPDATE audit_event SET at = 'yesterday' WHERE seq = 5"))
    report = verify(db)
    assert (report.first_broken, report.reason) == (5, "event 5: contents cannot be read (edited?)")


def test_blocks_checked_in_parallel_processes_name_the_same_break(
    db: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifying = sys.modules["custos.audit.verify"]  # the package's `verify` is the function, not the module
    monkeypatch.setattr(verifying, "PARALLEL_FROM", 0)  # the fixture's log is short; check it as a long one
    with db.transaction() as session:
        for _ in range(40):
            record(session, clock, STAFF, "person.read", subject=str(uuid.uuid4()))
    seal(db, clock, KEYS, max_block=9)
    whole = verify(db, workers=2, keys=KEYS)
    assert (whole.ok, whole.events_checked, whole.blocks) == (True, 90, 6)
    with tampering(db.engine) as connection:
        connection.execute(text("DELETE FROM audit_event WHERE seq = 77"))
        connection.execute(update(AuditEvent).where(AuditEvent.seq == 63).values(outcome="denied"))
    broken = verify(db, workers=2, keys=KEYS)
    assert (broken.ok, broken.first_broken) == (False, 63)
    assert broken.reason == "event 63: hash does not match its contents (edited?)"
    assert broken == verify(db, workers=1, keys=KEYS)


def test_a_block_signed_with_a_key_no_longer_in_the_key_file_says_so(db: Database) -> None:
    other = KeyRing([Key(id=7, encryption=KEYS.active.encryption, index=KEYS.active.index)])
    report = verify(db, keys=other)
    assert (report.ok, report.first_broken) == (False, 1)
    assert report.reason == "block 1: signed with key 1, which is not in the key file"


def test_a_missing_range_next_to_a_hole_names_only_numbers_that_held_events() -> None:
    verifying = sys.modules["custos.audit.verify"]
    span = verifying._Span(block=3, first_seq=10, last_seq=20, size=8, holes=((13, 14),), root="", legacy=False)
    # 12 deleted, 13–14 a rolled-back transaction's numbers, 15 present: only 12 is missing.
    assert verifying._missing(span, 2, 12, 15).reason == "event 12 is missing from block 3 (deleted?)"
    assert verifying._missing(span, 1, 11, 15).reason == "events 11–12 are missing from block 3 (deleted?)"
    assert verifying._missing(span, 7, 20, None).reason == "event 20 is missing from block 3 (deleted?)"
