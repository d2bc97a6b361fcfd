"""The sealer: chains the events appended since the last block into new blocks, as a CT log merges entries.

Appenders share nothing (`custos.audit.log`), so the order in which transactions commit is not the order of
their numbers: on PostgreSQL a transaction may still be open with number 41 while 42 has committed. A block
must only cover numbers that can no longer appear, or a late commit would land inside a sealed block and look
like a forged insertion. So the sealer first fixes a bound:

- PostgreSQL: it reads how far the sequence has handed out numbers, then which of this database's transactions
  hold a transaction id (`pg_stat_activity.backend_xid`); every transaction that took a number up to there had
  an id before taking it (the number's default, `custos_audit_next()`, takes the id first), so it either had
  ended or is in that list. Once every listed transaction has ended, the numbers up to the bound are final:
  committed, or rolled back for good (a hole, written into the block). Custos's own connections must all use
  one role, or be allowed to see each other's transactions (`pg_read_all_stats`).
- SQLite: writers take turns, and the sealer is one; inside its transaction nothing is in flight.

Then, per block of at most `MAX_BLOCK` events, in one transaction that locks the head (only sealers take it):
re-hash each event from its columns (an event edited before it was sealed is refused, not sealed), compute
the Merkle root, the header and its hash, sign it (Ed25519, a key derived from the installation's key), and
move the head on. Sealing twice at once is harmless: the second waits on the head and finds less to do.

Until sealed, an event is only as safe as the database's append-only triggers: `custos serve` and `custos
worker` seal every `audit_seal_seconds` (default 2 s), and `custos audit verify` seals before it checks.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, func, select, text, type_coerce
from sqlalchemy.orm import Session

from custos.audit import merkle
from custos.audit.chain import PLAIN, block_bytes, digest, format_at, leaf_bytes, leaf_hash
from custos.audit.models import HEAD_ID, AuditBlock, AuditEvent, AuditHead
from custos.audit.signing import sign
from custos.clock import Clock
from custos.crypto.keyring import KeyRing
from custos.db import Database

log = logging.getLogger("custos.audit")

MAX_BLOCK = 4096
WAIT_SECONDS = 30.0
_POLL = 0.01
_OPEN_XIDS = text(
    "SELECT backend_xid::text FROM pg_stat_activity "
    "WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
)
_STILL_OPEN = text("SELECT count(*) FROM pg_stat_activity WHERE backend_xid::text = ANY(:xids)")

_EVENT = AuditEvent.__table__.c
LEAF_COLUMNS = (
    _EVENT.seq,
    _EVENT.hash,
    type_coerce(_EVENT.at, String),
    *(_EVENT[n] for n in PLAIN),
    _EVENT.details_json,
)


@dataclass(frozen=True)
class SealReport:
    blocks: int
    events: int
    last_seq: int
    refused: int | None = None
    """An unsealed event whose hash no longer matches its columns: sealing stopped before it."""


def seal(
    db: Database, clock: Clock, keys: KeyRing | None, *, max_block: int = MAX_BLOCK, wait: float = WAIT_SECONDS
) -> SealReport:
    """Seal every event that can be sealed now; returns what was sealed."""
    bound = _bound(db, wait)
    blocks = events = 0
    last = 0
    while True:
        with db.transaction() as session:
            head = _locked_head(session)
            last = head.last_seq
            limit = bound if bound is not None else _max_seq(session)
            if limit <= head.last_seq:
                break
            rows = session.execute(
                select(*LEAF_COLUMNS)
                .where(_EVENT.seq > head.last_seq, _EVENT.seq <= limit)
                .order_by(_EVENT.seq)
                .limit(max_block)
            ).all()
            if not rows:
                break
            good, refused = _intact(rows)
            if good:
                block = _block(head, good, clock.now(), keys)
                session.add(block)
                head.last_seq, head.last_hash = block.last_seq, block.head
                head.count += block.size
                head.blocks = block.block
                blocks, events, last = blocks + 1, events + block.size, block.last_seq
            if refused is not None:
                log.error("audit event %s no longer matches its hash: not sealed (run custos audit verify)", refused)
                return SealReport(blocks, events, last, refused)
    return SealReport(blocks, events, last)


def leaf_of(row: Sequence[Any]) -> str:
    """Recompute an event's hash from a row of `LEAF_COLUMNS`."""
    return leaf_hash(leaf_bytes(at_text(row[2]), row[3:14], row[14]))


def at_text(value: object) -> str:
    """The canonical text of an event time as the driver returns it (a string on SQLite, a datetime on
    PostgreSQL). SQLite's stored form is re-punctuated, not parsed: any other change shows in the hash."""
    if isinstance(value, str):
        if len(value) == 26 and value[10] == " ":
            return f"{value[:10]}T{value[11:]}+00:00"
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"not a time: {value!r}")
    return format_at(value if value.tzinfo else value.replace(tzinfo=UTC))


def header_hash(block: AuditBlock) -> str:
    return digest(
        block_bytes(
            block.block,
            block.first_seq,
            block.last_seq,
            block.size,
            block.holes,
            block.root,
            block.prev_head,
            format_at(block.sealed_at),
        )
    )


def holes_between(first: int, seqs: Sequence[int]) -> list[tuple[int, int]]:
    """The ranges of numbers from `first` up to the last of `seqs` (ascending) that are not in `seqs`."""
    holes: list[tuple[int, int]] = []
    expected = first
    for seq in seqs:
        if seq > expected:
            holes.append((expected, seq - 1))
        expected = seq + 1
    return holes


def _intact(rows: Sequence[Sequence[Any]]) -> tuple[list[Sequence[Any]], int | None]:
    for index, row in enumerate(rows):
        try:
            same = leaf_of(row) == row[1]
        except (TypeError, ValueError, UnicodeError):
            same = False
        if not same:
            return list(rows[:index]), row[0]
    return list(rows), None


def _block(head: AuditHead, rows: Sequence[Sequence[Any]], now: datetime, keys: KeyRing | None) -> AuditBlock:
    seqs = [row[0] for row in rows]
    first = head.last_seq + 1
    block = AuditBlock(
        block=head.blocks + 1,
        first_seq=first,
        last_seq=seqs[-1],
        size=len(seqs),
        holes_json=json.dumps([list(hole) for hole in holes_between(first, seqs)], separators=(",", ":")),
        root=merkle.root([bytes.fromhex(row[1]) for row in rows]).hex(),
        prev_head=head.last_hash,
        head="",
        sealed_at=now,
    )
    block.head = header_hash(block)
    if keys is not None:
        block.signer, block.signature = sign(keys, block.head)
    return block


def _locked_head(session: Session) -> AuditHead:
    statement = (
        select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update().execution_options(populate_existing=True)
    )
    return session.execute(statement).scalar_one()


def _max_seq(session: Session) -> int:
    return int(session.scalar(select(func.max(_EVENT.seq))) or 0)


def _bound(db: Database, wait: float) -> int | None:
    """PostgreSQL: the highest number that can no longer appear (see the module's docstring). None on SQLite,
    where the sealing transaction itself is the bound."""
    if db.engine.dialect.name != "postgresql":
        return None
    with db.engine.connect() as connection:
        last_value, is_called = connection.execute(text("SELECT last_value, is_called FROM audit_event_seq")).one()
        bound = int(last_value) if is_called else int(last_value) - 1
        # Only this database's transactions (a snapshot would also list every other database's on the server).
        xids = connection.execute(_OPEN_XIDS).scalars().all()
        connection.commit()
        deadline = time.monotonic() + wait
        while xids and connection.execute(_STILL_OPEN, {"xids": list(xids)}).scalar_one():
            connection.commit()  # each look at pg_stat_activity in a transaction of its own: it is cached per one
            if time.monotonic() > deadline:
                # A long transaction is still open: seal what is surely final, the rest next time.
                return int(connection.execute(text("SELECT last_seq FROM audit_head")).scalar_one())
            time.sleep(_POLL)
        connection.commit()
    return bound


class SealLoop:
    """Seals every `interval` seconds in a daemon thread, next to the web server or a worker."""

    def __init__(self, db: Database, clock: Clock, keys: KeyRing | None, interval: float) -> None:
        self.db, self.clock, self.keys, self.interval = db, clock, keys, interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                seal(self.db, self.clock, self.keys)
            except Exception:  # the database briefly away: the next round seals what this one did not
                log.exception("audit sealing failed")

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="custos-audit-sealer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        try:
            seal(self.db, self.clock, self.keys, wait=timeout)
        except Exception:
            log.exception("audit sealing at shutdown failed")
