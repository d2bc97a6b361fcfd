"""Migration 0020 keeps an existing single-chain audit log as block 0: it still verifies, new blocks hang off
it, and tampering with the old events is still named."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from custos.actor import Actor
from custos.audit import AuditBlock, record, verify
from custos.audit.chain import GENESIS, canonical, digest, format_at
from custos.audit.seal import seal
from custos.clock import FixedClock
from custos.db import Database, make_engine
from custos.db.migrate import upgrade
from tampering import tampering

OLD_EVENTS = 12


@pytest.fixture
def empty_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    admin = request.getfixturevalue("postgres_server")
    name = f"custos_m_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _old_log(url: str) -> None:
    """An installation at 0019 whose events were chained one by one (custos-audit/1), as before blocks."""
    engine = make_engine(url)
    upgrade(engine, "0019")
    prev, at = GENESIS, datetime(2026, 11, 1, 9, tzinfo=UTC)
    with engine.begin() as connection:
        for seq in range(1, OLD_EVENTS + 1):
            plain = ["staff", 3, "staff:3", None, None, "person.read", str(uuid.uuid4()), None, None, None, "ok"]
            hashed = digest(canonical(seq, prev, format_at(at), plain, "{}"))
            connection.execute(
                text(
                    "INSERT INTO audit_event (seq, at, actor_kind, actor_id, actor_label, ip, user_agent, action, "
                    "subject, target, purpose, reference, outcome, details_json, prev_hash, hash) VALUES (:seq, :at, "
                    ":k, :i, :l, :ip, :ua, :a, :s, :t, :p, :r, :o, '{}', :prev, :hash)"
                ),
                {
                    "seq": seq,
                    "at": at if connection.dialect.name != "sqlite" else at.strftime("%Y-%m-%d %H:%M:%S.%f"),
                    "k": plain[0], "i": plain[1], "l": plain[2], "ip": None, "ua": None, "a": plain[5],
                    "s": plain[6], "t": None, "p": None, "r": None, "o": "ok", "prev": prev, "hash": hashed,
                },
            )  # fmt: skip
            prev, at = hashed, at + timedelta(minutes=1)
        connection.execute(
            text("UPDATE audit_head SET last_seq = :n, last_hash = :h, count = :n"), {"n": OLD_EVENTS, "h": prev}
        )
    upgrade(engine)
    engine.dispose()


def test_the_old_chain_becomes_block_0_and_new_blocks_hang_off_it(empty_url: str, clock: FixedClock) -> None:
    _old_log(empty_url)
    db = Database(make_engine(empty_url))
    try:
        report = verify(db)
        assert report.ok, report.reason
        assert (report.events_checked, report.blocks) == (OLD_EVENTS, 1)
        with db.transaction() as session:
            for _ in range(5):
                event = record(session, clock, Actor.system("test"), "doctor.run")
        assert event.seq == OLD_EVENTS + 5  # numbering goes on after the old events
        assert seal(db, clock, None).events == 5
        with db.transaction() as session:
            zero, one = session.scalars(select(AuditBlock).order_by(AuditBlock.block)).all()
        assert (zero.block, zero.first_seq, zero.last_seq, zero.size) == (0, 1, OLD_EVENTS, OLD_EVENTS)
        assert (one.block, one.first_seq, one.prev_head) == (1, OLD_EVENTS + 1, zero.head)
        report = verify(db)
        assert report.ok, report.reason
        assert report.events_checked == OLD_EVENTS + 5
    finally:
        db.dispose()


@pytest.mark.parametrize(
    ("statement", "first_broken", "reason"),
    [
        ("UPDATE audit_event SET outcome = 'denied' WHERE seq = 4", 4, "event 4: hash does not match its contents"),
        ("DELETE FROM audit_event WHERE seq = 6", 6, "event 6 is missing from block 0"),
        (f"DELETE FROM audit_event WHERE seq = {OLD_EVENTS}", OLD_EVENTS, "block 0 ends at event 12"),
    ],
)
def test_tampering_with_the_old_events_is_still_named(
    empty_url: str, statement: str, first_broken: int, reason: str
) -> None:
    _old_log(empty_url)
    db = Database(make_engine(empty_url))
    try:
        with tampering(db.engine) as connection:
            connection.execute(text(statement))
        report = verify(db)
        assert not report.ok
        assert report.reason is not None
        assert reason in report.reason
        assert report.first_broken == first_broken
    finally:
        db.dispose()
