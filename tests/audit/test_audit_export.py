"""Exporting a date range: only that range, in chain order, and re-verifiable by an auditor on their own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from custos.actor import Actor
from custos.audit import export, merkle, record
from custos.audit.chain import exported_hash
from custos.audit.proofs import heads
from custos.audit.seal import seal
from custos.audit.signing import signature_ok
from custos.clock import FixedClock
from custos.crypto.keyring import Key, KeyRing
from custos.db import Database, make_engine
from custos.errors import InvalidInput

STAFF = Actor(kind="staff", id=3, label="staff:3", ip="192.0.2.10", user_agent="Firefox/128")


@pytest.fixture
def db(database_url: str, clock: FixedClock) -> Iterator[Database]:
    database = Database(make_engine(database_url))
    # Conftest's clock starts on 2026-11-29 at 10:00 UTC: four events a day for five days.
    for _ in range(5):
        with database.transaction() as session:
            for hour in range(4):
                record(session, clock, STAFF, "person.read", subject=str(uuid.uuid4()), details={"hour": hour})
        clock.advance(timedelta(days=1))
    yield database
    database.dispose()


def test_a_range_of_days_is_exported_in_order(db: Database) -> None:
    with db.transaction() as session:
        events = list(export(session, date(2026, 11, 30), date(2026, 12, 2), batch_size=5))
    assert [e["seq"] for e in events] == list(range(5, 17))
    assert {str(e["at"])[:10] for e in events} == {"2026-11-30", "2026-12-01", "2026-12-02"}
    assert events[0]["actor_label"] == "staff:3"
    assert events[0]["details"] == {"hour": 0}


def test_an_auditor_can_reverify_an_exported_slice(db: Database) -> None:
    with db.transaction() as session:
        events = list(export(session, date(2026, 12, 1), date(2026, 12, 3)))
    assert events
    for event in events:
        assert exported_hash(event) == event["hash"]
    forged = {**events[3], "outcome": "denied"}
    assert exported_hash(forged) != forged["hash"]


def test_an_auditor_can_rebuild_a_sealed_blocks_root_from_an_export(db: Database, clock: FixedClock) -> None:
    keys = KeyRing([Key.generate(1)])
    seal(db, clock, keys)
    with db.transaction() as session:
        events = list(export(session, date(2000, 1, 1), date(2100, 1, 1)))
        (head,) = heads(session, keys)
    assert [e["seq"] for e in events] == list(range(head["first_seq"], head["last_seq"] + 1))
    assert merkle.root([bytes.fromhex(e["hash"]) for e in events]).hex() == head["root"]
    assert signature_ok(head["public_key"], head["head"], head["signature"])


def test_a_backwards_range_is_refused(db: Database) -> None:
    with pytest.raises(InvalidInput, match="starts"), db.transaction() as session:
        list(export(session, date(2026, 12, 3), date(2026, 12, 1)))
