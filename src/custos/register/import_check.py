"""The importer's first pass: check every row of the file, seal the good ones, spool them for the write pass.

Each good row leaves here with what the write pass stores for it already computed — its name, title and
identities encrypted, its blind indexes and name tokens (all through `register.sealed`) — so the write pass only
looks up and writes. The spool is an anonymous temporary file holding the sealed rows in batches (plain values,
`marshal`led: our own file, written a moment before it is read); the clear-text row is in it too, as it always
was, for comparing with what the register holds.

A large file is checked by worker processes, a chunk of rows each, while this process reads ahead; the
results are taken in file order, so rejects and problems keep their order, and at most a few chunks are in
flight, so memory stays flat whatever the file's size. The workers receive the keys through their start-up
pipe, never a file.
"""

from __future__ import annotations

import csv
import gc
import marshal
import multiprocessing
import os
import struct
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import date
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple, TextIO

from custos.crypto import Key, KeyRing
from custos.errors import InvalidInput, Problem
from custos.register import sealed
from custos.register.csv_rows import ContactRow, ImportKind, RowError, RowParser, check_header

if TYPE_CHECKING:
    from custos.register.importer import ImportReport

CHUNK = 1000  # rows per unit of work for a checker (and per progress report)
# Below these sizes a file is checked in this process, as starting workers would cost more than they save:
# forked ones start in milliseconds; from a forkserver each imports Custos anew (about half a second).
POOL_MIN_BYTES = 2**20
FORKSERVER_MIN_BYTES = 8 * 2**20
MAX_WORKERS = 4
_LENGTH = struct.Struct("<Q")

Progress = Callable[[str, int, int], None]


class SealedRow(NamedTuple):
    """A checked row with what the register stores for it, sealed under the active key."""

    row: ContactRow
    lookups: tuple[bytes, ...]  # the blind index of the row's email (or phone) under every key, to find them
    ref: str  # a new person's ref, if they turn out to be new
    name_enc: bytes
    title_enc: bytes | None
    identities: tuple[tuple[str, bytes, bytes], ...]  # (kind, value_enc, lookup) of a new person's identities
    tokens: tuple[bytes, ...]  # a new person's name tokens

    @property
    def key(self) -> tuple[str, str]:
        """The identity the row's person is recognised by: the email, or the phone without one."""
        row = self.row
        return ("email", row.email) if row.email else ("phone", row.phone or "")


def seal(keys: KeyRing, row: ContactRow) -> SealedRow:
    person = sealed.person_columns(keys, row.name, row.title)
    identities = tuple(
        (kind, columns["value_enc"], columns["lookup"])
        for kind, value in (("email", row.email), ("phone", row.phone))
        if value
        for columns in (sealed.identity_columns(keys, kind, value),)
    )
    kind, value = ("email", row.email) if row.email else ("phone", row.phone or "")
    return SealedRow(
        row=row,
        lookups=tuple(keys.blind_indexes(kind, value)),
        ref=str(uuid.uuid4()),
        name_enc=person["name_enc"],
        title_enc=person["title_enc"],
        identities=identities,
        tokens=tuple(sealed.name_tokens(keys, row.name)),
    )


# ---------------------------------------------------------------- checking chunks of rows (here or in a worker)

Numbered = tuple[int, list[str]]  # (line, fields)
Rejected = tuple[int, list[str], str]  # (line, fields, error)
Checked = tuple[int, list[Rejected], bytes]  # (good rows, rejected rows, the good rows sealed and marshalled)


class _Checker:
    def __init__(self, keys: KeyRing, kind: ImportKind, header: list[str], phone_region: str) -> None:
        self.keys, self.parser = keys, RowParser(kind, header, phone_region)

    def __call__(self, chunk: list[Numbered]) -> Checked:
        good: list[tuple[Any, ...]] = []
        rejected: list[Rejected] = []
        for line, fields in chunk:
            try:
                row = self.parser.parse(line, fields)
            except RowError as exc:
                rejected.append((line, fields, str(exc)))
                continue
            good.append(_encode(seal(self.keys, row)))
        return len(good), rejected, marshal.dumps(good) if good else b""


_worker: _Checker | None = None


def _start_worker(keys: list[Key], kind: ImportKind, header: list[str], phone_region: str) -> None:
    global _worker
    _worker = _Checker(KeyRing(keys), kind, header, phone_region)
    gc.freeze()  # what the worker started with is never garbage: collections walk only the rows' objects


def _check_in_worker(chunk: list[Numbered]) -> Checked:
    assert _worker is not None, "the worker was not started"
    return _worker(chunk)


def _day(ordinal: int | None) -> date | None:
    return None if ordinal is None else date.fromordinal(ordinal)


def _ordinal(day: date | None) -> int | None:
    return None if day is None else day.toordinal()


def _encode(s: SealedRow) -> tuple[Any, ...]:
    r = s.row
    dates = (r.customer_since, r.customer_until, r.started_on, r.ended_on, r.last_interaction_on)
    return (
        (r.line, r.name, r.title, r.email, r.phone, r.organisation, r.org_number, r.source),
        tuple(_ordinal(d) for d in dates),
        s.lookups,
        s.ref,
        s.name_enc,
        s.title_enc,
        s.identities,
        s.tokens,
    )


def _decode(t: tuple[Any, ...]) -> SealedRow:
    (line, name, title, email, phone, organisation, org_number, source), dates, *rest = t
    since, until, started, ended, last = (_day(d) for d in dates)
    row = ContactRow(
        line, name, title, email, phone, organisation, org_number, since, until, started, ended, last, source
    )
    return SealedRow(row, *rest)


# ---------------------------------------------------------------- the pass over the file


def check_file(
    path: Path,
    kind: ImportKind,
    keys: KeyRing,
    phone_region: str,
    report: ImportReport,
    rejects_path: Path | None,
    spool: BinaryIO,
    progress: Progress | None,
) -> int:
    """Check every row (counted, and the bad ones named in `report`), spool the good ones sealed; how many were
    good. Rejected rows are also written to `rejects_path` with their line and reason when it is given."""
    try:
        handle = _open(path)
    except FileNotFoundError:
        raise InvalidInput(f"{path} does not exist", [Problem(str(path), "no such file")]) from None
    size = path.stat().st_size
    good = 0
    with handle:
        reader = csv.reader(handle)
        header = _header(reader, path)
        header_problems = check_header(kind, header)
        if header_problems:
            raise InvalidInput(
                f"{path.name}: the header line is not usable",
                [Problem(path.name, p, line=1) for p in header_problems],
            )
        rejects = _RejectWriter(rejects_path, header) if rejects_path else None
        try:
            chunks = _chunks(_numbered(reader, path, len(header)), handle)
            for at, (count, rejected, blob) in _checked(chunks, keys, kind, header, phone_region, size):
                report.rows += count + len(rejected)
                for line, fields, error in rejected:
                    report.problems.append(Problem(path.name, error, line=line))
                    report.rejected += 1
                    if rejects:
                        rejects.add(dict(zip(header, fields, strict=False)), error, line)
                if blob:
                    spool.write(_LENGTH.pack(len(blob)))
                    spool.write(blob)
                good += count
                if progress is not None:
                    progress("checking", at, size)
        finally:
            if rejects:
                rejects.close()
    if progress is not None:
        progress("checking", size, size)
    return good


def spooled(spool: BinaryIO, batch: int) -> Iterator[list[SealedRow]]:
    """The spooled rows again, in file order, `batch` at a time (the last batch may be smaller)."""
    rows: list[SealedRow] = []
    while header := spool.read(_LENGTH.size):
        (length,) = _LENGTH.unpack(header)
        rows.extend(_decode(t) for t in marshal.loads(spool.read(length)))  # our own file, see the docstring
        while len(rows) >= batch:
            yield rows[:batch]
            del rows[:batch]
    if rows:
        yield rows


def _checked(
    chunks: Iterator[tuple[list[Numbered], int]],
    keys: KeyRing,
    kind: ImportKind,
    header: list[str],
    phone_region: str,
    size: int,
) -> Iterator[tuple[int, Checked]]:
    """Each chunk's result with its end's byte offset, in file order: here, or by workers for a large file."""
    context = _context()
    enough = POOL_MIN_BYTES if context.get_start_method() == "fork" else max(POOL_MIN_BYTES, FORKSERVER_MIN_BYTES)
    workers = min(MAX_WORKERS, os.cpu_count() or 1) if size >= enough else 1
    if workers < 2:
        check = _Checker(keys, kind, header, phone_region)
        for chunk, at in chunks:
            yield at, check(chunk)
        return
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(keys.keys, kind, header, phone_region)
    )
    try:
        pending: deque[tuple[int, Future[Checked]]] = deque()
        for chunk, at in chunks:
            pending.append((at, pool.submit(_check_in_worker, chunk)))
            if len(pending) > 2 * workers:  # enough to keep every worker busy, and no more in memory
                done_at, future = pending.popleft()
                yield done_at, future.result()
        while pending:
            done_at, future = pending.popleft()
            yield done_at, future.result()
    finally:
        pool.shutdown(cancel_futures=True)


def _context() -> BaseContext:
    """Fork when this process runs one thread (a command): workers start at once, with the keys in memory. With
    other threads running (a web server's), a fork could copy a lock one of them holds: workers then come from
    a clean forkserver process, and the keys travel through its pipe."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver")


def _chunks(rows: Iterator[Numbered], handle: TextIO) -> Iterator[tuple[list[Numbered], int]]:
    chunk: list[Numbered] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk, handle.buffer.tell()
            chunk = []
    if chunk:
        yield chunk, handle.buffer.tell()


def _open(path: Path) -> TextIO:
    # utf-8-sig: spreadsheets often save a byte-order mark that would otherwise end up in the first column name.
    return path.open(newline="", encoding="utf-8-sig")


def _header(reader: Any, path: Path) -> list[str]:
    try:
        return list(next(reader, None) or [])
    except UnicodeDecodeError:
        raise InvalidInput(f"{path.name} is not UTF-8 text", [Problem(f"{path.name}", "not UTF-8", line=1)]) from None
    except csv.Error as exc:
        raise InvalidInput(f"{path.name}: {exc}", [Problem(path.name, str(exc), line=1)]) from None


def _numbered(reader: Any, path: Path, width: int) -> Iterator[Numbered]:
    """The rows with the line each starts on, as csv.DictReader numbers them (a blank line is no row)."""
    line = reader.line_num
    try:
        for fields in reader:
            if not fields:
                continue  # DictReader skips it, and the next row is counted from the line after the last row
            line_start, line = line + 1, reader.line_num
            if len(fields) > width:
                raise InvalidInput(
                    f"{path.name}: line {line_start} has more fields than the header",
                    [Problem(path.name, "more fields than the header names", line=line_start)],
                )
            yield line_start, fields
    except csv.Error as exc:
        raise InvalidInput(f"{path.name}: {exc}", [Problem(path.name, str(exc), line=reader.line_num)]) from None
    except UnicodeDecodeError:
        raise InvalidInput(
            f"{path.name} is not UTF-8 text", [Problem(path.name, "not UTF-8", line=reader.line_num + 1)]
        ) from None


class _RejectWriter:
    def __init__(self, path: Path, columns: list[str]) -> None:
        self._handle = path.open("w", newline="", encoding="utf-8")
        self._csv = csv.DictWriter(self._handle, [*columns, "line", "error"])
        self._csv.writeheader()

    def add(self, raw: dict[str, str], error: str, line: int) -> None:
        self._csv.writerow({**raw, "line": line, "error": error})

    def close(self) -> None:
        self._handle.close()
