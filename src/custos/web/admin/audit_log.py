"""The audit log page: filter by area, actor, action, subject and dates, newest first, a page at a time.
`audit.read`. Each action is shown by its caption in words (`audit.actions.<area>.<verb>` in the wording) with
its name beside it; the areas to filter by are the prefixes of the known action names (the registry of
`custos.audit.Action` and the captioned ones), not a list kept by hand.

Reading the log is itself audited, as over the API (`custos.audit.search.read_newest`): its events name people by
ref, so a search by subject is a look at that person's history (Art. 5(2), 15(1)). The filter form is a plain
GET form (bookmarkable, works without JavaScript); htmx, when present, swaps only the results and keeps the URL
in step.

Above the list, for the DPO rather than an engineer, what `custos audit verify|heads|prove` do on the command
line: "Check the log" (a POSTed form: `verify_and_record` seals what is pending, checks every block and event,
and writes `audit.verify`) with its result in plain words; the sealing's state and the events sealed per day
(`audit_seal`); the signed heads for a witness (`export_heads`, `audit.heads`) and, per event, its inclusion
proof (`prove`, `audit.proof`) as downloads. Those four are runtime tier and open their own units: the route
holds no request unit around them (on SQLite it would hold the write lock the sealer needs).
"""

from __future__ import annotations

import json
import multiprocessing
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import IO, Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from custos import audit
from custos.access.models import Staff
from custos.access.principal import Principal
from custos.audit import Action
from custos.audit.proofs import check_proof, export_heads, prove
from custos.audit.search import AuditFilter, read_newest
from custos.audit.verify import VerifyReport, default_workers, verify_and_record
from custos.clock import today
from custos.errors import Conflict, InvalidInput, Problem
from custos.texts import read_texts
from custos.web.admin.audit_seal import block_of, seal_state
from custos.web.admin.forms import FormError
from custos.web.admin.pages import SECURITY_HEADERS, Viewer, ViewerDep, is_fragment_request, render_page
from custos.web.auth import Require, WorkDep
from custos.web.deps import RuntimeDep
from custos.work import Work

router = APIRouter(prefix="/admin", include_in_schema=False)

PAGE_SIZE = 50
_ACTOR = re.compile(r"(?:(staff|token|cli|subject)|cli:staff):(\d{1,18})")
_SYSTEM = re.compile(r"system(?::[a-z0-9_.-]{1,60})?")
_ACTION = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]*)*")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_REF = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
Field = Annotated[str, Query(max_length=100)]


@cache
def known_actions() -> frozenset[str]:
    """Every action name Custos records that has a caption, and every name of the registry."""
    captions = read_texts("custos.web.admin", "en")["audit"]["actions"]
    named = {f"{area}.{verb}" for area, verbs in captions.items() for verb in verbs}
    return frozenset(named | {action.value for action in Action})


def areas() -> list[str]:
    """The areas (the part of an action's name before its first dot) to filter by."""
    return sorted({name.split(".", 1)[0] for name in known_actions()})


@dataclass(frozen=True)
class _Form:
    actor: str = ""
    action: str = ""
    subject: str = ""
    from_day: str = ""
    to_day: str = ""
    area: str = ""

    def query(self, **more: object) -> str:
        pairs = {"area": self.area, "actor": self.actor, "action": self.action, "subject": self.subject}
        pairs |= {"from": self.from_day, "to": self.to_day}
        return urlencode({k: v for k, v in {**pairs, **more}.items() if v})


def _day(value: str, name: str, problems: list[Problem]) -> date | None:
    if not value:
        return None
    if _DAY.fullmatch(value):  # only YYYY-MM-DD, as a date input sends; fromisoformat alone takes 2024-W13-1
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.append(Problem(name, f"{value!r} is not a date", hint="YYYY-MM-DD"))
    return None


def _filter(form: _Form) -> AuditFilter:
    """The search the form asks for; raises `InvalidInput` naming each field that cannot be understood."""
    problems: list[Problem] = []
    actor_kind: str | None = None
    actor_id: int | None = None
    if form.actor:
        if match := _ACTOR.fullmatch(form.actor):
            actor_kind, actor_id = match.group(1) or "cli", int(match.group(2))
        elif _SYSTEM.fullmatch(form.actor):
            actor_kind = "system"
        else:
            problems.append(Problem("actor", f"{form.actor!r} is not an actor", hint="e.g. staff:3, token:5, system"))
    if form.action and not _ACTION.fullmatch(form.action):
        problems.append(Problem("action", f"{form.action!r} is not an action", hint="e.g. person.read, or auth."))
    if form.area and form.area not in areas():
        problems.append(Problem("area", f"{form.area!r} is not an area", hint="choose one from the list"))
    action = form.action or None
    if action is not None and "." not in action:
        action += "."  # a bare area name ("auth") means the area, as the hint says
    if form.area and action is None:
        action = f"{form.area}."
    elif form.area and action is not None and not action.startswith(f"{form.area}."):
        problems.append(Problem("action", f"{form.action!r} is not in the area {form.area}", hint="clear one"))
    if form.subject and not _REF.fullmatch(form.subject):
        problems.append(Problem("subject", "is not a person's ref", hint="a ref looks like 0b7c…-…; never an email"))
    since, until = _day(form.from_day, "from", problems), _day(form.to_day, "to", problems)
    if since and until and until < since:
        problems.append(Problem("to", "is before the first day"))
    if problems:
        raise InvalidInput("the filter is not valid", problems)
    return AuditFilter(
        since=datetime.combine(since, time(0), UTC) if since else None,
        # The last day is included: the search ends when that day ends.
        until=datetime.combine(until + timedelta(days=1), time(0), UTC) if until else None,
        action=action,
        actor_kind=actor_kind,
        actor_id=actor_id,
        subject=form.subject or None,
    )


Reader = Annotated[Principal, Require("audit.read")]


@router.get("/audit", response_class=HTMLResponse)
def audit_log(
    request: Request,
    principal: Reader,
    viewer: ViewerDep,
    work: WorkDep,
    actor: Field = "",
    action: Field = "",
    subject: Field = "",
    from_day: Annotated[str, Query(alias="from", max_length=10)] = "",
    to_day: Annotated[str, Query(alias="to", max_length=10)] = "",
    area: Annotated[str, Query(max_length=40)] = "",
    before: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    form = _Form(actor.strip(), action.strip(), subject.strip().lower(), from_day.strip(), to_day.strip(), area.strip())
    return _page(request, work, viewer, form, before=before)


@router.post("/audit/check", response_class=HTMLResponse)
def check_the_log(request: Request, principal: Reader, viewer: ViewerDep, runtime: RuntimeDep) -> HTMLResponse:
    """Seal what is pending, check the whole log and record `audit.verify` (as `custos audit verify`), then show
    the page with the result above the newest events. The result is shown, not redirected to: its reason is
    in no table, and the DPO may need to keep exactly this page."""
    report = verify_and_record(runtime, principal.actor, workers=_workers())
    with runtime.work(principal.actor) as work:
        where = block_of(work.session, report.first_broken) if report.first_broken is not None else None
        check = Check.of(report, where, work.clock.now())
        return _page(request, work, viewer, _Form(), check=check)


@router.get("/audit/heads.jsonl")
def download_heads(
    principal: Reader, runtime: RuntimeDep, after: Annotated[str, Query(max_length=12)] = ""
) -> Response:
    """The signed block heads above `after` as JSON lines, with the public keys, for a witness; `audit.heads`.
    Spooled to a temporary file past a few megabytes rather than held in memory (a year holds many blocks)."""
    first = _after(after.strip())
    # Not a `with`: the file outlives this function, and the response's iterator closes it when sent.
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES, mode="w+b")  # noqa: SIM115
    try:
        export_heads(runtime, principal.actor, lambda line: spool.write(line.encode("utf-8")), after=first)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    day = runtime.clock.now().date().isoformat()
    name = f"custos-audit-heads-{day}.jsonl" if first < 0 else f"custos-audit-heads-after-{first}-{day}.jsonl"
    return StreamingResponse(
        _chunks(spool),
        media_type="application/jsonl; charset=utf-8",
        headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/audit/{seq}/proof.json")
def download_proof(seq: Annotated[int, Path(ge=1, le=2**63 - 1)], principal: Reader, runtime: RuntimeDep) -> Response:
    """One event's inclusion proof in its signed block, checked before it is handed out (as `custos audit
    prove`); `audit.proof`. An event not sealed yet is refused as `InvalidInput` (422, the message says so)."""
    proof = prove(runtime, principal.actor, seq)
    problems = check_proof(proof)
    if problems:
        # The log no longer matches its own seal: no proof to give, and the check on the page will say where.
        raise Conflict(f"the proof of event {seq} does not hold ({'; '.join(problems)}): check the log")
    body = json.dumps(proof, ensure_ascii=False, indent=2) + "\n"
    return Response(
        body,
        media_type="application/json; charset=utf-8",
        headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="custos-audit-proof-{seq}.json"'},
    )


def _workers() -> int:
    """Processes checking blocks, as `custos audit verify` uses; one where this process may start none (a
    daemonic process, as some process managers run their web workers, may not have children)."""
    return 1 if multiprocessing.current_process().daemon else default_workers()


_SPOOL_BYTES = 4 * 1024 * 1024
_CHUNK = 64 * 1024


def _after(value: str) -> int:
    if not value:
        return -1
    if not value.isdigit():
        raise InvalidInput("the heads were not downloaded", [Problem("after", f"{value!r} is not a block number")])
    return int(value)


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := spool.read(_CHUNK):
            yield chunk
    finally:
        spool.close()


@dataclass(frozen=True)
class Check:
    """The result of "Check the log", as the page words it."""

    ok: bool
    events: int  # events checked (up to the break, when broken)
    blocks: int
    unsealed: int
    head: str | None  # the newest block's head, when intact
    first_broken: int | None
    block: int | None  # the block whose range holds the first broken event
    reason: str | None  # verify's own words (English): kept as they are, they are what an investigator reads
    at: datetime

    @staticmethod
    def of(report: VerifyReport, block: int | None, at: datetime) -> Check:
        return Check(
            report.ok,
            report.events_checked,
            report.blocks,
            report.unsealed,
            report.last_hash,
            report.first_broken,
            block,
            report.reason,
            at,
        )


def _page(
    request: Request, work: Work, viewer: Viewer, form: _Form, *, before: int | None = None, check: Check | None = None
) -> HTMLResponse:
    error: FormError | None = None
    try:
        where = _filter(form)
        events = read_newest(work, where, before=before, limit=PAGE_SIZE)
        members = _member_names(work.session, events)
        rows = [_Row.of(e, members) for e in events]
    except InvalidInput as exc:
        error, rows = FormError.of(exc), []
    fragment = is_fragment_request(request, "audit-results")
    return render_page(
        request,
        "_audit_results.html.j2" if fragment else "audit_log.html.j2",
        viewer=viewer,
        # htmx swaps only successful responses; its fragment shows the problems, so it is sent as a 200.
        status=error.status if error and not fragment else 200,
        form=form,
        error=error,
        rows=rows,
        before=before,
        next_query=form.query(before=rows[-1].seq) if len(rows) == PAGE_SIZE else None,
        first_query=form.query() if before else None,
        actions=sorted(known_actions()),
        areas=areas(),
        seal=seal_state(work.session, today(work.clock)),
        check=check,
    )


@dataclass(frozen=True)
class _Row:
    """An event as the page shows it, read inside the transaction."""

    seq: int
    at: datetime
    actor: str
    actor_name: str | None  # the staff member's name beside the label the chain keeps (`staff:2`)
    ip: str | None
    action: str
    subject: str | None
    target: str | None
    reference: str | None
    outcome: str

    @staticmethod
    def of(event: audit.AuditEvent, members: dict[int, str]) -> _Row:
        return _Row(
            event.seq,
            event.at,
            event.actor_label,
            members.get(event.actor_id) if event.actor_kind in _MEMBER_KINDS and event.actor_id is not None else None,
            event.ip,
            event.action,
            event.subject,
            event.target,
            event.reference,
            event.outcome,
        )


# Actors that are a staff member: in the browser or API, or through the CLI acting as them (`cli:staff:2`).
_MEMBER_KINDS = frozenset({"staff", "cli"})


def _member_names(session: Session, events: list[audit.AuditEvent]) -> dict[int, str]:
    ids = {e.actor_id for e in events if e.actor_kind in _MEMBER_KINDS and e.actor_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(ids)))
    return {int(staff_id): str(name) for staff_id, name in rows}
