"""The audit log page: filter by area, actor, action, subject and dates, newest first, a page at a time.
`audit.read`. Each action is shown by its caption in words (`audit.actions.<area>.<verb>` in the wording) with
its name beside it; the areas to filter by are the prefixes of the known action names (the registry of
`custos.audit.Action` and the captioned ones), not a list kept by hand.

Reading the log is itself audited, as over the API (`custos.audit.search.read_newest`): its events name people by
ref, so a search by subject is a look at that person's history (Art. 5(2), 15(1)). The filter form is a plain
GET form (bookmarkable, works without JavaScript); htmx, when present, swaps only the results and keeps the URL
in step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from custos import audit
from custos.access.models import Staff
from custos.access.principal import Principal
from custos.audit import Action
from custos.audit.search import AuditFilter, read_newest
from custos.errors import InvalidInput, Problem
from custos.texts import read_texts
from custos.web.admin.forms import FormError
from custos.web.admin.pages import ViewerDep, is_fragment_request, render_page
from custos.web.auth import Require, WorkDep

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


@router.get("/audit", response_class=HTMLResponse)
def audit_log(
    request: Request,
    principal: Annotated[Principal, Require("audit.read")],
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
