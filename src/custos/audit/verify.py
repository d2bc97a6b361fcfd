"""`verify`: recompute the sealed chain and every event in it, and name the first broken place.

What is checked, and what each failure means:
- the blocks link: each block's header hashes to its `head`, points at the previous block's head, starts
  right after it, and (given the keys) carries a valid signature — a mismatch is a rewritten block;
- the head row agrees with the newest block — a head ahead of the blocks means the newest blocks were deleted
  with their events, a head behind them that it was rolled back;
- inside each block, independently (so blocks are checked in parallel, `workers`): exactly the numbers the
  block says it sealed are there (a missing one is a deleted event, an extra one an inserted event), every
  event hashes to its `hash` (a mismatch is an edited event), and the hashes give the block's Merkle root (a
  mismatch is an event edited and re-hashed, or events re-ordered);
- block 0, the events from before blocks existed, is walked as their own chain (format custos-audit/1);
- events not yet sealed are each checked against their own hash (gaps among them cannot be told from rolled
  back numbers until sealed: see `custos.audit.seal`).

Art. 5(2): the report is the organisation's evidence that its log is whole; Art. 33(5): the log is part of the
documentation of a breach, so its integrity must be demonstrable. `verify_and_record` is what the edges call:
seal, check, and record the `audit.verify` event saying what was found.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, create_engine, select
from sqlalchemy.orm import Session

from custos.actor import Actor
from custos.audit import merkle
from custos.audit.actions import Action
from custos.audit.chain import GENESIS, LEAF_FORMAT, PLAIN, canonical, fast_encode
from custos.audit.models import HEAD_ID, AuditBlock, AuditHead
from custos.audit.seal import at_text, header_hash, leaf_of, seal
from custos.audit.signing import public_keys, signature_ok
from custos.crypto.keyring import KeyRing
from custos.db import Database

if TYPE_CHECKING:
    from custos.runtime import Runtime

Progress = Callable[[int, int], None]
"""Called as blocks are checked with (events checked, events the log held when the run began)."""

_UNREADABLE = (TypeError, ValueError, UnicodeError)
PARALLEL_FROM = 100_000
_COLUMNS = ", ".join(("seq", "hash", "at", *PLAIN, "details_json", "prev_hash"))


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    events_checked: int
    first_broken: int | None = None
    reason: str | None = None
    last_hash: str | None = None
    """The newest block's head when intact: written down elsewhere (or `custos audit heads`), it anchors the
    log up to that point."""
    blocks: int = 0
    unsealed: int = 0
    """Events checked against their own hash only, because no block covered them yet."""


@dataclass(frozen=True)
class _Span:
    """What one block asks of its events, in a form a worker process can be sent."""

    block: int
    first_seq: int
    last_seq: int
    size: int
    holes: tuple[tuple[int, int], ...]
    root: str
    legacy: bool


@dataclass(frozen=True)
class _Found:
    checked: int
    first_broken: int | None = None
    reason: str | None = None


def verify(
    source: Database | Session,
    progress: Progress | None = None,
    *,
    batch_size: int = 10_000,
    workers: int = 1,
    keys: KeyRing | None = None,
) -> VerifyReport:
    """Check the whole log. `workers` > 1 checks blocks in that many processes (a `Database` on a file or a
    server only). Given `keys`, every signed block's signature is checked too."""
    sessions = _sessions(source)
    with sessions() as session:
        head = session.execute(
            select(AuditHead.last_seq, AuditHead.last_hash, AuditHead.count, AuditHead.blocks).where(
                AuditHead.id == HEAD_ID
            )
        ).one_or_none()
        blocks = list(session.scalars(select(AuditBlock).order_by(AuditBlock.block)))
    if head is None:
        return VerifyReport(ok=False, events_checked=0, reason="the audit head row is missing (deleted?)")
    head_seq, head_hash, head_count = int(head[0]), str(head[1]), int(head[2])
    broken = _chain(blocks, keys) or _against_head(blocks, head_seq, head_hash, head_count)
    spans = [_span(block) for block in blocks]
    total = head_count
    found = _check_spans(source, spans, progress, total, batch_size, workers)
    checked = 0
    for span, result in zip(spans, found, strict=True):
        if broken is not None and broken[0] is not None and broken[0] <= span.first_seq:
            break
        checked += result.checked
        if result.first_broken is not None:
            return VerifyReport(False, checked, result.first_broken, result.reason, blocks=len(blocks))
    if broken is not None:
        return VerifyReport(False, checked, broken[0], broken[1], blocks=len(blocks))
    with sessions() as session:
        tail = _tail(session.connection(), head_seq, batch_size)
    if tail.first_broken is not None:
        return VerifyReport(False, checked + tail.checked, tail.first_broken, tail.reason, blocks=len(blocks))
    if progress is not None:
        progress(checked + tail.checked, max(total, checked + tail.checked))
    return VerifyReport(
        ok=True,
        events_checked=checked + tail.checked,
        last_hash=head_hash,
        blocks=len(blocks),
        unsealed=tail.checked,
    )


def verify_and_record(
    runtime: Runtime, actor: Actor, progress: Progress | None = None, *, workers: int | None = None
) -> VerifyReport:
    """Seal what is pending, `verify` the whole log, then record who ran the check and what it found.

    Art. 5(2): that the check ran, and its result, is itself part of the record; written after the walk, in a
    unit of its own, so that the walk never holds up writers and the event is not among the events checked.
    """
    seal(runtime.db, runtime.clock, runtime.keys)
    count = workers if workers is not None else default_workers()
    report = verify(runtime.db, progress=progress, workers=count, keys=runtime.keys)
    with runtime.work(actor) as work:
        work.audit(
            Action.AUDIT_VERIFY,
            outcome="ok" if report.ok else "failed",
            details={"events_checked": report.events_checked, "first_broken": report.first_broken},
        )
    return report


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


# ------------------------------------------------------------------------------------------- the chain of blocks


def _chain(blocks: Sequence[AuditBlock], keys: KeyRing | None) -> tuple[int | None, str] | None:
    """The first broken link between block headers, as (first event it concerns, reason)."""
    public = public_keys(keys) if keys is not None else {}
    prev_head, prev_last, expected = GENESIS, 0, None
    for block in blocks:
        where = block.first_seq
        if expected is not None and block.block != expected:
            return where, f"block {block.block} follows block {expected - 1}: block {expected} is missing (deleted?)"
        if block.first_seq != prev_last + 1:
            return where, f"block {block.block} starts at event {block.first_seq}, not {prev_last + 1} (rewritten?)"
        if block.prev_head != prev_head:
            return where, f"block {block.block} does not point at the head of the block before it (rewritten?)"
        if header_hash(block) != block.head:
            return where, f"block {block.block}: its header does not hash to its head (edited?)"
        if keys is not None and block.signature is not None:
            key = public.get(block.signer or -1)
            if key is None:
                return where, f"block {block.block}: signed with key {block.signer}, which is not in the key file"
            if not signature_ok(key, block.head, block.signature):
                return where, f"block {block.block}: the signature of its head is not valid (forged?)"
        prev_head, prev_last, expected = block.head, block.last_seq, block.block + 1
    return None


def _against_head(
    blocks: Sequence[AuditBlock], head_seq: int, head_hash: str, head_count: int
) -> tuple[int | None, str] | None:
    last_seq = blocks[-1].last_seq if blocks else 0
    last_hash = blocks[-1].head if blocks else GENESIS
    sealed = sum(block.size for block in blocks)
    if head_seq > last_seq:
        return last_seq + 1, f"head says events up to {head_seq} are sealed, blocks end at {last_seq} (newest deleted?)"
    if head_seq < last_seq:
        return head_seq + 1, f"blocks end at event {last_seq}, head says {head_seq} (head rolled back?)"
    if head_hash != last_hash:
        return last_seq or None, "head hash does not match the newest block (newest block replaced?)"
    if head_count != sealed:
        return None, f"head counts {head_count} events, blocks hold {sealed} (head edited?)"
    return None


def _span(block: AuditBlock) -> _Span:
    legacy = block.block == 0
    holes = tuple(block.holes)
    return _Span(block.block, block.first_seq, block.last_seq, block.size, holes, block.root, legacy)


# ------------------------------------------------------------------------------------------- inside the blocks


def _check_spans(
    source: Database | Session,
    spans: Sequence[_Span],
    progress: Progress | None,
    total: int,
    batch_size: int,
    workers: int,
) -> list[_Found]:
    found: list[_Found] = []
    done = 0

    def step(result: _Found) -> None:
        nonlocal done
        found.append(result)
        done += result.checked
        if progress is not None:
            progress(done, total)

    # Starting worker processes costs about a second: worth it only for a long log.
    large = sum(span.size for span in spans) >= PARALLEL_FROM
    url = _parallel_url(source) if workers > 1 and len(spans) > 1 and large else None
    if url is None:
        with _sessions(source)() as session:
            connection = session.connection()
            for span in spans:
                step(_check_span(connection, span, batch_size))
                if found[-1].first_broken is not None:
                    break
        return found + [_Found(0)] * (len(spans) - len(found))
    # forkserver, not fork: a forked child holds copies of this process's database connections (and of locks
    # other threads hold), and closing one there would end it for the parent too.
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(workers, context, initializer=_worker_start, initargs=(url,)) as pool:
        for result in pool.map(_worker_check, spans, [batch_size] * len(spans), chunksize=1):
            step(result)
    return found


def _check_span(connection: Connection, span: _Span, batch_size: int) -> _Found:
    if span.legacy:
        return _check_legacy(connection, span, batch_size)
    numbers = _expected(span)
    leaves: list[bytes] = []
    checked = 0
    # The hot loop of a verify: one pass per event, names looked up once (see benchmarks/bench_audit.py).
    sha256, encode, append = hashlib.sha256, fast_encode, leaves.append
    for rows in _rows(connection, span.first_seq - 1, span.last_seq, batch_size):
        for row in rows:
            seq = row[0]
            want = next(numbers, None)
            if want is None or seq > want:
                return _missing(span, checked, want if want is not None else span.last_seq + 1, seq)
            if seq < want:
                return _Found(checked, seq, f"event {seq} was not in block {span.block} when it was sealed (inserted?)")
            at = row[2]
            try:
                if at.__class__ is str and len(at) == 26 and at[10] == " ":
                    at = f"{at[:10]}T{at[11:]}+00:00"
                else:
                    at = at_text(at)
                head = encode([LEAF_FORMAT, at, *row[3:14]])
                data = f"\x00{head[:-1]},{row[14]}]".encode()
            except _UNREADABLE:
                return _Found(checked, seq, f"event {seq}: contents cannot be read (edited?)")
            hashed = sha256(data).digest()
            if hashed.hex() != row[1]:
                return _Found(checked, seq, f"event {seq}: hash does not match its contents (edited?)")
            append(hashed)
            checked += 1
    want = next(numbers, None)
    if want is not None:
        return _missing(span, checked, want, None)
    if merkle.root(leaves).hex() != span.root:
        return _Found(
            checked,
            span.first_seq,
            f"block {span.block} (events {span.first_seq}–{span.last_seq}): its events do not give its Merkle "
            "root (an event re-hashed, or events re-ordered?)",
        )
    return _Found(checked)


def _expected(span: _Span) -> Iterator[int]:
    holes = iter(span.holes)
    hole = next(holes, None)
    seq = span.first_seq
    while seq <= span.last_seq:
        if hole is not None and seq == hole[0]:
            seq = hole[1] + 1
            hole = next(holes, None)
            continue
        yield seq
        seq += 1


def _missing(span: _Span, checked: int, want: int, seen: int | None) -> _Found:
    below = seen if seen is not None else span.last_seq + 1
    # The numbers the block sealed from `want` up to the next one present: a hole among them was never an event.
    upto = max(n for n in range(want, below) if not any(low <= n <= high for low, high in span.holes))
    which = f"event {want} is" if upto == want else f"events {want}–{upto} are"
    return _Found(checked, want, f"{which} missing from block {span.block} (deleted?)")


def _check_legacy(connection: Connection, span: _Span, batch_size: int) -> _Found:
    """Block 0: the events from before blocks, each linked to the one before it (custos-audit/1)."""
    last_seq, last_hash, checked = span.first_seq - 1, GENESIS, 0
    sha256 = hashlib.sha256
    for rows in _rows(connection, span.first_seq - 1, span.last_seq, batch_size):
        for row in rows:
            seq, hashed, prev = row[0], row[1], row[15]
            if seq != last_seq + 1:
                which = f"event {last_seq + 1} is" if seq == last_seq + 2 else f"events {last_seq + 1}–{seq - 1} are"
                return _Found(checked, last_seq + 1, f"{which} missing from block 0 (deleted?)")
            try:
                data = canonical(seq, prev, at_text(row[2]), row[3:14], row[14])
            except _UNREADABLE:
                return _Found(checked, seq, f"event {seq}: contents cannot be read (edited?)")
            if sha256(data).hexdigest() != hashed:
                return _Found(checked, seq, f"event {seq}: hash does not match its contents (edited?)")
            if prev != last_hash:
                return _Found(
                    checked,
                    seq,
                    f"event {seq}: prev_hash does not match the hash of event {last_seq} "
                    f"(event {last_seq} re-hashed, or events re-ordered?)",
                )
            last_seq, last_hash, checked = seq, hashed, checked + 1
    if last_seq != span.last_seq:
        return _Found(
            checked, last_seq + 1, f"block 0 ends at event {span.last_seq}, its events at {last_seq} (deleted?)"
        )
    if last_hash != span.root or checked != span.size:
        return _Found(checked, span.last_seq, "block 0 does not match the chain of its events (newest replaced?)")
    return _Found(checked)


def _tail(connection: Connection, after: int, batch_size: int) -> _Found:
    checked = 0
    for rows in _rows(connection, after, None, batch_size):
        for row in rows:
            try:
                same = leaf_of(row[:15]) == row[1]
            except _UNREADABLE:
                return _Found(checked, row[0], f"event {row[0]}: contents cannot be read (edited?)")
            if not same:
                return _Found(checked, row[0], f"event {row[0]}: hash does not match its contents (edited?)")
            checked += 1
    return _Found(checked)


def _rows(connection: Connection, after: int, upto: int | None, batch_size: int) -> Iterator[list[Any]]:
    """The events after `after` (up to `upto`), in batches, straight from the driver: the columns are hashed
    as stored, so SQLAlchemy's row processing would only cost time."""
    mark = "?" if connection.dialect.name == "sqlite" else "%s"
    bounded = f" AND seq <= {mark}" if upto is not None else ""
    sql = f"SELECT {_COLUMNS} FROM audit_event WHERE seq > {mark}{bounded} ORDER BY seq LIMIT {int(batch_size)}"
    cursor = connection.connection.cursor()
    try:
        while True:
            cursor.execute(sql, (after, upto) if upto is not None else (after,))
            rows = list(cursor.fetchall())
            if not rows:
                return
            yield rows
            after = rows[-1][0]
    finally:
        cursor.close()


# ------------------------------------------------------------------------------------------- worker processes

_worker_engine: Any = None


def _worker_start(url: str) -> None:
    global _worker_engine  # one engine per worker process, made when the process starts
    # One connection kept for all the blocks this process checks (a connection per block costs more than a block).
    _worker_engine = create_engine(url, pool_size=1, max_overflow=0)


def _worker_check(span: _Span, batch_size: int) -> _Found:
    with _worker_engine.connect() as connection:
        return _check_span(connection, span, batch_size)


def _parallel_url(source: Database | Session) -> str | None:
    if not isinstance(source, Database):
        return None
    url = source.engine.url
    if url.get_backend_name() == "sqlite" and (not url.database or url.database == ":memory:"):
        return None
    return url.render_as_string(hide_password=False)


def _sessions(source: Database | Session) -> Callable[[], AbstractContextManager[Session]]:
    if isinstance(source, Database):
        return source.transaction

    @contextmanager
    def same() -> Iterator[Session]:
        yield source

    return same
