"""A CSV file uploaded in the admin: checked before anything is written, held encrypted, then imported by a job.

The steps, each in its own transaction and each audited in it (`person.import_checked`, `person.import`):
1. `check_upload` reads the file (at most `MAX_BYTES`, UTF-8 with or without a byte-order mark), checks the header
   and every row with the importer's own rules (`register.csv_rows`), and keeps the file, its bad rows as CSV and
   the problems encrypted with the register's keys, tied to the staff member who uploaded it. Nothing of the
   register is touched. A file that cannot be read at all (not text, no usable header) is refused and not kept.
2. `queue_upload` records the choice (all-or-nothing, or skip the bad rows) once the staff member confirms.
3. `drive_upload` (the `imports-drive` job, or the web process right after the confirmation) claims a queued
   upload and runs `register.importer.import_file` on it as the member who uploaded it: the whole file in one
   unit, with the importer's `person.import` event and the upload's end state in that same unit, the file's
   content emptied; a refused file's `person.import` (rejected) and its `failed` state commit together too.
   A crash mid-way rolls the import back and leaves the upload `importing`; the next drive takes it up again
   after `STALE_AFTER` (the import is idempotent: importing the same rows twice changes nothing).
4. `expire_uploads` deletes every upload past `expires_at` (`EXPIRY` after the check), imported or not.

The plaintext exists only in memory, and for the import's own duration in a private temporary file the
importer reads (deleted in `finally`), as the importer's spool of checked rows already is.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from custos.actor import Actor
from custos.audit.actions import Action
from custos.clock import Clock
from custos.db.sealed import seal
from custos.errors import Conflict, CustosError, InvalidInput, NotFound, Problem
from custos.register.csv_rows import COLUMNS, ImportKind, RowError, check_header, parse_row
from custos.register.importer import ImportReport, import_file
from custos.register.upload_models import ImportUpload
from custos.work import Work

if TYPE_CHECKING:
    from custos.runtime import Runtime

JOB_NAME = "imports-drive"
MAX_BYTES = 10 * 1024 * 1024  # about 100,000 contacts; a larger file is refused before it is read
EXPIRY = timedelta(hours=2)  # an upload not imported by then is deleted
STALE_AFTER = timedelta(minutes=30)  # an import still "importing" this long after it started was interrupted
KINDS: tuple[ImportKind, ...] = ("contacts", "prospects")
MODES = ("all", "skip")
UPLOAD_FILE, UPLOAD_NAME, UPLOAD_REJECTS, UPLOAD_PROBLEMS, UPLOAD_ERROR = (
    "import.file",
    "import.file_name",
    "import.rejects",
    "import.problems",
    "import.error",
)
# An upload waiting for its import (at most two hours) must still open after a rotation retires the old key.
seal(
    ImportUpload,
    {
        "name_enc": UPLOAD_NAME,
        "content_enc": UPLOAD_FILE,
        "rejects_enc": UPLOAD_REJECTS,
        "problems_enc": UPLOAD_PROBLEMS,
        "error_enc": UPLOAD_ERROR,
    },
)
# A cell starting with one of these is a formula to a spreadsheet (CSV injection): such cells get a leading '.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class RowProblem:
    line: int
    message: str


@dataclass(frozen=True)
class UploadView:
    """An upload as its page shows it. `problems` is one page of them; the file itself is never handed out."""

    ref: str
    kind: str
    state: str
    mode: str | None
    file_name: str
    size: int
    rows: int
    bad: int
    created_at: datetime
    expires_at: datetime
    report: dict[str, Any] | None
    error: str | None
    error_problems: list[RowProblem]
    problems: list[RowProblem]
    progress: tuple[str, int, int] | None

    @property
    def good(self) -> int:
        return self.rows - self.bad


# In-process progress of running imports, (phase, done, total) by upload ref. The write pass is one transaction,
# so nothing durable can say how far it got before it commits; the page of the process running it can.
_progress: dict[str, tuple[str, int, int]] = {}
_progress_lock = threading.Lock()


def _set_progress(ref: str, value: tuple[str, int, int] | None) -> None:
    with _progress_lock:
        if value is None:
            _progress.pop(ref, None)
        else:
            _progress[ref] = value


def neutralise(cell: str) -> str:
    """A CSV cell a spreadsheet will show as text, never run as a formula (OWASP CSV injection)."""
    return "'" + cell if cell.startswith(_FORMULA) else cell


def decode(data: bytes, file_name: str) -> str:
    """The file's text: UTF-8, with or without the byte-order mark spreadsheets write."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            f"{file_name} is not UTF-8 text; save it as CSV UTF-8 and upload it again",
            [Problem("file", "not UTF-8 text (save it as “CSV UTF-8”)", line=line)],
        ) from None


@dataclass(frozen=True)
class Checked:
    rows: int
    problems: list[RowProblem]
    rejects: str  # the bad rows as CSV, with their line and the reason, cells neutralised


def check_text(text: str, kind: ImportKind, file_name: str, phone_region: str) -> Checked:
    """Every row checked as the importer checks it; raises InvalidInput when the file as a whole is unusable."""
    if "\x00" in text:
        raise InvalidInput(f"{file_name} is not a CSV file", [Problem("file", "not a text file (it holds NUL bytes)")])
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = list(reader.fieldnames or [])
    except csv.Error as exc:
        raise InvalidInput(f"{file_name} is not a CSV file", [Problem("file", str(exc), line=1)]) from None
    header_problems = check_header(kind, header)
    if header_problems:
        raise InvalidInput(
            f"{file_name}: the first line must name the columns of a {kind} file",
            [Problem("file", p, line=1) for p in header_problems],
        )
    out = io.StringIO()
    rejects = csv.writer(out)
    rejects.writerow([*header, "line", "error"])
    problems: list[RowProblem] = []
    rows = 0
    line = reader.line_num
    try:
        for raw in reader:
            start, line = line + 1, reader.line_num
            rows += 1
            if None in raw:
                raise InvalidInput(
                    f"{file_name}: line {start} has more fields than the header",
                    [Problem("file", "more fields than the header names", line=start)],
                )
            try:
                parse_row(kind, start, raw, phone_region)
            except RowError as exc:
                problems.append(RowProblem(start, str(exc)))
                cells = [raw.get(c) or "" for c in header]
                rejects.writerow([neutralise(c) for c in cells] + [str(start), neutralise(str(exc))])
    except csv.Error as exc:
        # e.g. a field longer than csv's limit (128 KiB), which no real name or address is: the file is refused.
        raise InvalidInput(f"{file_name}: {exc}", [Problem("file", str(exc), line=reader.line_num)]) from None
    return Checked(rows, problems, out.getvalue())


def check_upload(work: Work, staff_id: int, kind: str, file_name: str, data: bytes) -> str:
    """Check the file and keep it encrypted for the import; returns the upload's ref. Audited with counts."""
    if kind not in KINDS:
        raise InvalidInput("choose what the file holds", [Problem("kind", f"one of: {', '.join(KINDS)}")])
    import_kind: ImportKind = "contacts" if kind == "contacts" else "prospects"
    file_name = (os.path.basename(file_name.replace("\\", "/")) or "upload.csv")[:200]
    if not data:
        raise InvalidInput("choose a CSV file to upload", [Problem("file", "no file, or an empty one")])
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            f"{file_name} is larger than {MAX_BYTES // (1024 * 1024)} MB; split it and upload the parts",
            [Problem("file", f"at most {MAX_BYTES // (1024 * 1024)} MB")],
        )
    text = decode(data, file_name)
    checked = check_text(text, import_kind, file_name, work.policy.jurisdiction.phone_region)
    if checked.rows == 0:
        raise InvalidInput(f"{file_name} has a header but no rows", [Problem("file", "no rows after the header")])
    keys, now = work.keys, work.clock.now()
    upload = ImportUpload(
        ref=str(uuid.uuid4()),
        staff_id=staff_id,
        kind=import_kind,
        state="checked",
        size=len(data),
        rows=checked.rows,
        bad=len(checked.problems),
        name_enc=keys.encrypt(file_name, UPLOAD_NAME),
        content_enc=keys.encrypt(text, UPLOAD_FILE),
        rejects_enc=keys.encrypt(checked.rejects, UPLOAD_REJECTS) if checked.problems else None,
        problems_enc=keys.encrypt(json.dumps([[p.line, p.message] for p in checked.problems]), UPLOAD_PROBLEMS),
        created_at=now,
        expires_at=now + EXPIRY,
    )
    work.session.add(upload)
    work.session.flush()
    # The file's rows are personal data entering Custos, though not yet the register: who, what, how many.
    work.audit(
        Action.PERSON_IMPORT_CHECKED,
        target=f"upload:{upload.ref}",
        details={"kind": import_kind, "rows": checked.rows, "bad": len(checked.problems), "bytes": len(data)},
    )
    return upload.ref


def _load(session: Session, clock: Clock, ref: str, staff_id: int) -> ImportUpload:
    upload = session.scalar(select(ImportUpload).where(ImportUpload.ref == ref))
    # Another member's upload is not theirs to see: it is as if it did not exist.
    if upload is None or upload.staff_id != staff_id or upload.expires_at <= clock.now():
        raise NotFound("this upload is not there any more (uploads are kept for two hours); upload the file again")
    return upload


def view_upload(work: Work, ref: str, staff_id: int, *, offset: int = 0, limit: int = 50) -> UploadView:
    keys = work.keys
    upload = _load(work.session, work.clock, ref, staff_id)
    problems: list[RowProblem] = []
    if upload.problems_enc is not None:
        found = json.loads(keys.decrypt(upload.problems_enc, UPLOAD_PROBLEMS))
        problems = [RowProblem(int(line), str(message)) for line, message in found[offset : offset + limit]]
    error, error_problems = None, []
    if upload.error_enc is not None:
        failure = json.loads(keys.decrypt(upload.error_enc, UPLOAD_ERROR))
        error = str(failure["message"])
        error_problems = [RowProblem(int(line or 0), str(m)) for line, m in failure["problems"]][:limit]
    with _progress_lock:
        progress = _progress.get(upload.ref)
    return UploadView(
        ref=upload.ref,
        kind=upload.kind,
        state=upload.state,
        mode=upload.mode,
        file_name=keys.decrypt(upload.name_enc, UPLOAD_NAME),
        size=upload.size,
        rows=upload.rows,
        bad=upload.bad,
        created_at=upload.created_at,
        expires_at=upload.expires_at,
        report=upload.report,
        error=error,
        error_problems=error_problems,
        problems=problems,
        progress=progress if upload.state == "importing" else None,
    )


def rejects_csv(work: Work, ref: str, staff_id: int) -> str:
    """The bad rows as CSV (with `line` and `error`), for the uploader to fix and upload again. Audited."""
    upload = _load(work.session, work.clock, ref, staff_id)
    if upload.rejects_enc is None:
        raise NotFound("every row of this file is good: there are no rejects to download")
    work.audit(
        Action.PERSON_IMPORT_REJECTS,
        target=f"upload:{upload.ref}",
        details={"kind": upload.kind, "rows": upload.bad},
    )
    return work.keys.decrypt(upload.rejects_enc, UPLOAD_REJECTS)


def queue_upload(work: Work, ref: str, staff_id: int, mode: str, confirmed_rows: str) -> None:
    """The confirmation: import all or nothing, or only the good rows. The number of rows confirmed must be the
    number the check found (what the page showed is what is imported)."""
    upload = _load(work.session, work.clock, ref, staff_id)
    if upload.state != "checked":
        raise Conflict("this file's import has already been started")
    if mode not in MODES:
        raise InvalidInput("choose how to import", [Problem("mode", "all-or-nothing or skip the bad rows")])
    if mode == "all" and upload.bad:
        raise InvalidInput(
            f"{upload.bad} row(s) are bad: an all-or-nothing import would write nothing",
            [Problem("mode", "fix the file and upload it again, or import only the good rows")],
        )
    expected = upload.rows - upload.bad
    if confirmed_rows != str(expected):
        raise InvalidInput("confirm the number of rows to import", [Problem("rows", f"the check found {expected}")])
    upload.mode = mode
    upload.state = "queued"


def drive_upload(runtime: Runtime, ref: str) -> str | None:
    """Run one queued (or interrupted) upload's import; returns its end state, or None if another drive has it."""
    now = runtime.clock.now()
    # The claim writes no event: the import that follows is audited as the member who uploaded the file.
    with runtime.work(Actor.system(JOB_NAME)) as claim:
        session = claim.session
        result = session.execute(
            update(ImportUpload)
            .where(
                ImportUpload.ref == ref,
                (ImportUpload.state == "queued")
                | ((ImportUpload.state == "importing") & (ImportUpload.started_at < now - STALE_AFTER)),
            )
            .values(state="importing", started_at=now)
        )
        if not getattr(result, "rowcount", 0):
            return None
        upload = session.scalar(select(ImportUpload).where(ImportUpload.ref == ref))
        assert upload is not None
        assert upload.content_enc is not None  # emptied only when the import ends
        text = claim.keys.decrypt(upload.content_enc, UPLOAD_FILE)
        name = claim.keys.decrypt(upload.name_enc, UPLOAD_NAME)
        kind: ImportKind = "contacts" if upload.kind == "contacts" else "prospects"
        skip, staff_id, upload_id = upload.mode == "skip", upload.staff_id, upload.id
    actor = Actor(kind="staff", id=staff_id, label=f"staff:{staff_id}")

    def finish(work: Work, report: ImportReport) -> None:
        # In the import's own unit, after its `person.import` event: the rows, the event and the end state
        # commit together.
        work.session.execute(
            update(ImportUpload)
            .where(ImportUpload.id == upload_id)
            .values(state="done", report=report.counts(), content_enc=None, finished_at=work.clock.now())
        )

    def fail(work: Work, exc: CustosError) -> None:
        # In the unit of the importer's `person.import` (rejected) event.
        failure = {"message": exc.message, "problems": [[p.line, p.message] for p in exc.problems[:1000]]}
        work.session.execute(
            update(ImportUpload)
            .where(ImportUpload.ref == ref)
            .values(
                state="failed",
                content_enc=None,
                error_enc=work.keys.encrypt(json.dumps(failure), UPLOAD_ERROR),
                finished_at=work.clock.now(),
            )
        )

    _set_progress(ref, ("checking", 0, 0))
    try:
        with _plain_file(text, name) as path:
            import_file(
                runtime,
                actor,
                path,
                kind,
                skip_invalid=skip,
                progress=lambda phase, done, total: _set_progress(ref, (phase, done, total)),
                target=f"upload:{ref}",
                details={"via": "admin", "mode": "skip" if skip else "all"},
                before_commit=finish,
                on_reject=fail,
            )
        return "done"
    except CustosError:
        return "failed"
    finally:
        _set_progress(ref, None)


class _plain_file:
    """The file's text in a private temporary file for the importer to read, deleted however the import ends."""

    def __init__(self, text: str, name: str) -> None:
        self.text, self.name = text, name
        self.dir: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Path:
        self.dir = tempfile.TemporaryDirectory(prefix="custos-import-")
        os.chmod(self.dir.name, 0o700)
        # The importer names its problems by the file's name: keep the uploaded one (a safe base name).
        path = Path(self.dir.name) / (os.path.basename(self.name) or "upload.csv")
        path.write_text(self.text, encoding="utf-8", newline="")
        return path

    def __exit__(self, *exc: object) -> None:
        assert self.dir is not None
        self.dir.cleanup()


def drive_all(runtime: Runtime) -> list[str]:
    """The job: import every queued upload (and take up interrupted ones), then delete the expired."""
    now = runtime.clock.now()
    with runtime.work(Actor.system(JOB_NAME)) as work:
        refs = list(
            work.session.scalars(
                select(ImportUpload.ref)
                .where(
                    (ImportUpload.state == "queued")
                    | ((ImportUpload.state == "importing") & (ImportUpload.started_at < now - STALE_AFTER))
                )
                .order_by(ImportUpload.id)
            )
        )
    for ref in refs:
        drive_upload(runtime, ref)
    with runtime.work(Actor.system(JOB_NAME)) as work:
        expire_uploads(work)
    return refs


def expire_uploads(work: Work) -> int:
    """Delete every upload past its expiry (file, rejects and all); one not yet imported is simply gone."""
    result = work.session.execute(
        delete(ImportUpload).where(ImportUpload.expires_at <= work.clock.now(), ImportUpload.state != "importing")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def recent_uploads(work: Work, staff_id: int, limit: int = 10) -> Iterator[ImportUpload]:
    """The member's own uploads still held, newest first (state and counts only are shown)."""
    yield from work.session.scalars(
        select(ImportUpload)
        .where(ImportUpload.staff_id == staff_id, ImportUpload.expires_at > work.clock.now())
        .order_by(ImportUpload.id.desc())
        .limit(limit)
    )


def next_due(after: datetime) -> datetime:
    """The job's schedule: every ten minutes, so an expired upload is gone soon after its expiry."""
    return after.replace(second=0, microsecond=0) + timedelta(minutes=10 - after.minute % 10)


def columns(kind: ImportKind) -> tuple[str, ...]:
    return COLUMNS[kind]
