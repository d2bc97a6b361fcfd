"""The audit log's promise over random histories: whatever appends, rollbacks and seals interleave, once sealed
every committed event is in exactly one block, the log verifies, and a deleted or edited sealed event is named.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from custos.actor import Actor
from custos.audit import AuditBlock, AuditEvent, record, verify
from custos.audit.seal import seal
from custos.clock import FixedClock
from custos.crypto.keyring import Key, KeyRing
from custos.db import Database, make_engine
from tampering import untriggered

STAFF = Actor(kind="staff", id=3, label="staff:3")
KEYS = KeyRing([Key.generate(1)])

appends = st.tuples(st.just("append"), st.integers(1, 6), st.booleans())
seals = st.tuples(st.just("seal"), st.integers(1, 9), st.just(False))
histories = st.lists(st.one_of(appends, seals), min_size=1, max_size=12)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(make_engine(database_url))
    yield database
    database.dispose()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories, data=st.data())
def test_sealed_log_is_whole_and_tampering_is_named(
    db: Database, clock: FixedClock, backend: str, history: list[tuple[str, int, bool]], data: st.DataObject
) -> None:
    with db.transaction() as session:
        committed = session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) is not None
        count = len(session.scalars(select(AuditEvent.seq)).all()) if committed else 0
    for kind, n, rollback in history:
        if kind == "seal":
            seal(db, clock, KEYS, max_block=n)
            continue
        try:
            with db.transaction() as session:
                for _ in range(n):
                    record(session, clock, STAFF, "person.read", subject=str(uuid.uuid4()))
                session.flush()
                if rollback:
                    raise _RolledBack
            count += n
        except _RolledBack:
            pass
    seal(db, clock, KEYS, max_block=data.draw(st.integers(1, 20)))
    report = verify(db, keys=KEYS)
    assert report.ok, report.reason
    assert (report.events_checked, report.unsealed) == (count, 0)
    with db.transaction() as session:
        seqs = session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
        blocks = session.scalars(select(AuditBlock).order_by(AuditBlock.block)).all()
    covered = [
        n
        for block in blocks
        for n in range(block.first_seq, block.last_seq + 1)
        if not any(low <= n <= high for low, high in block.holes)
    ]
    assert covered == list(seqs)  # each committed event in exactly one block, in order
    if not seqs:
        return
    # Drawn independently of how many events earlier examples left (hypothesis replays draws, not state).
    victim = seqs[data.draw(st.integers(0, 10**6)) % len(seqs)]
    how = data.draw(st.sampled_from(["delete", "edit"]))
    with db.engine.begin() as connection:
        row = dict(connection.execute(select(AuditEvent.__table__).where(AuditEvent.seq == victim)).one()._mapping)
        untriggered(connection)
        if how == "delete":
            connection.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": victim})
        else:
            connection.execute(text("UPDATE audit_event SET outcome = 'denied' WHERE seq = :s"), {"s": victim})
    broken = verify(db, keys=KEYS)
    assert (broken.ok, broken.first_broken) == (False, victim)
    with db.engine.begin() as connection:  # put it back, so the next history starts from a whole log
        untriggered(connection)
        connection.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": victim})
        connection.execute(AuditEvent.__table__.insert().values(row))
    assert verify(db, keys=KEYS).ok


class _RolledBack(Exception):
    pass
