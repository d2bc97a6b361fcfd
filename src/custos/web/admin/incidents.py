"""The breach register's pages: the list with its filters, the 72-hour countdown and a CSV export; opening an
incident; one incident with its timeline and the forms of the whole journey (note, facts, risk, decision,
notification, the Art. 33(3) document, the Art. 34 letters or their exception, the customers told, close).

`incidents.read` to look (the DPO, the privacy officer, the auditor); `incidents.manage` for every form. The
countdown is computed on the server from the runtime's clock, so the page says the same as the API and the
CLI; `/static/incidents.js` only ticks it down between page loads (progressive enhancement: without scripts the
page is still right as of its load). Every change goes through `custos.incidents.service`, whose timeline
writes the entry and its audit event in the request's unit of work; the document and the export are audited
by the services that produce them (`service.document`, `listing.export_csv`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from custos.access.models import Staff
from custos.access.principal import Principal
from custos.errors import Conflict, InvalidInput, NotFound, Problem
from custos.incidents import deadlines, listing, notification, service, subjects
from custos.incidents.listing import DEADLINES, Filters
from custos.incidents.schemas import IncidentPublic, IncidentUpdate
from custos.mail import mailer_for
from custos.register.models import Organisation, OrganisationRole
from custos.runtime import Runtime
from custos.web.admin import incident_forms as forms
from custos.web.admin.forms import FormError, text
from custos.web.admin.pages import SECURITY_HEADERS, Viewer, ViewerDep, render_page
from custos.web.admin.pages import language as page_language
from custos.web.admin.texts import Words
from custos.web.admin.ui import shown_in, ui_of
from custos.web.auth import FormFields, Require, WorkDep
from custos.web.deps import RuntimeDep
from custos.work import Work

router = APIRouter(prefix="/admin/incidents", include_in_schema=False)

Reader = Annotated[Principal, Require("incidents.read")]
Manager = Annotated[Principal, Require("incidents.manage")]

_WINDOW_MINUTES = deadlines.AUTHORITY_HOURS * 60
PAGE_SIZE = 25
# Above this many customers a list of checkboxes stops being usable; the form then asks for their numbers.
CUSTOMER_CHOICES = 30
_DONE = {
    "opened",
    "note",
    "facts",
    "count",
    "risk",
    "decision",
    "notification",
    "letters",
    "exception",
    "customer",
    "close",
    "reopen",
}


@dataclass(frozen=True)
class Countdown:
    """Where an incident stands against the authority deadline, as of the page's clock."""

    deadline: datetime
    seconds_left: int  # negative once overdue
    running: bool  # False once the authority was notified, a decision was recorded, or it was closed
    elapsed_minutes: int  # for the progress bar, capped at the 72 hours

    @property
    def overdue(self) -> bool:
        return self.seconds_left < 0

    def hours_minutes(self) -> tuple[int, int]:
        minutes = abs(self.seconds_left) // 60
        return minutes // 60, minutes % 60


def countdown(incident: IncidentPublic, now: datetime) -> Countdown:
    left = int((incident.deadline - now).total_seconds())
    elapsed = int((now - incident.aware_at).total_seconds() // 60)
    running = incident.state == "open" and not incident.authority_notified and incident.decision is None
    return Countdown(incident.deadline, left, running, max(0, min(elapsed, _WINDOW_MINUTES)))


def countdown_text(words: Words, clock: Countdown) -> str:
    hours, minutes = clock.hours_minutes()
    return words("incidents.overdue" if clock.overdue else "incidents.left", h=hours, m=minutes)


def plural(words: Words, key: str, n: int, **values: object) -> str:
    """`key.one` for one, `key.other` for any other number (both languages count this way)."""
    return words(f"{key}.{'one' if n == 1 else 'other'}", n=n, **values)


@dataclass(frozen=True)
class Track:
    """One audience that may have to be told, and its state: key of `incidents.tracks`, state, detail."""

    key: str  # authority | nis2 | subjects | customers
    state: str  # done | pending | overdue | not_required | exception
    detail: str


def tracks(
    words: Words, incident: IncidentPublic, clock: Countdown, *, when: Callable[[datetime | None], str]
) -> list[Track]:
    """`when` shows a time on the organisation's clock with its offset (the pages' `when` filter)."""
    found: list[Track] = []
    authority = [n for n in incident.notifications if n.recipient == "authority"]
    if authority:
        first = authority[0]
        late = words("incidents.late") if first.late else ""
        found.append(Track("authority", "done", words("incidents.notified_at", at=when(first.sent_at)) + late))
    elif incident.decision == "not_notify":
        found.append(Track("authority", "not_required", words("incidents.decided_not_to_notify")))
    else:
        state = "overdue" if clock.overdue else "pending"
        found.append(Track("authority", state, words("incidents.due_by", at=when(clock.deadline))))
    if incident.nis2 is not None:
        phases = {n.phase for n in incident.notifications if n.recipient == "csirt"}
        done = [p for p in ("early_warning", "notification", "final") if p in phases]
        due = {"early_warning": incident.nis2.early_warning_due, "notification": incident.nis2.notification_due}
        upcoming = next((p for p in ("early_warning", "notification") if p not in phases), None)
        if upcoming is not None:
            detail = (
                words(f"incidents.nis2_phases.{upcoming}") + ": " + words("incidents.due_by", at=when(due[upcoming]))
            )
            found.append(Track("nis2", "pending", detail))
        elif "final" not in phases:
            at = incident.nis2.final_report_due
            detail = words("incidents.nis2_phases.final") + ": " + words("incidents.due_by", at=when(at))
            found.append(Track("nis2", "pending", detail))
        else:
            found.append(Track("nis2", "done", ", ".join(words(f"incidents.nis2_phases.{p}") for p in done)))
    if incident.subject_exception:
        found.append(Track("subjects", "exception", words(f"incidents.exceptions.{incident.subject_exception}")))
    elif incident.risk != "high":
        found.append(Track("subjects", "not_required", words("incidents.subjects_not_required")))
    else:
        sent = incident.letters.get("sent", 0)
        detail = words("incidents.letters", sent=sent, failed=incident.letters.get("failed", 0))
        found.append(Track("subjects", "done" if sent else "pending", detail))
    if incident.role == "processor":
        told = sum(1 for c in incident.customers if c.state == "notified")
        total = len(incident.customers)
        state = "done" if total and told == total else "pending"
        found.append(Track("customers", state, words("incidents.customers_told", told=told, total=total)))
    return found


# -- the list ---------------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def incident_list(
    request: Request,
    principal: Reader,
    viewer: ViewerDep,
    work: WorkDep,
    state: str = "",
    deadline: str = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:
    now = work.clock.now()
    filters = Filters.of(state, deadline)
    found = listing.page(work, filters, offset=offset, limit=PAGE_SIZE)
    rows = [(incident, countdown(incident, now)) for incident in found.incidents]
    return render_page(
        request,
        "incidents.html.j2",
        viewer=viewer,
        rows=rows,
        now=now,
        window=_WINDOW_MINUTES,
        countdown_text=countdown_text,
        tracks=partial(tracks, when=shown_in(work.policy.jurisdiction.zone)),
        filters=filters,
        deadlines=DEADLINES,
        total=found.total,
        anything=found.anything,
        offset=offset,
        page_size=PAGE_SIZE,
        pl=plural,
        can_manage=viewer.can("incidents.manage"),
    )


@router.get("/export.csv")
def export_csv(principal: Reader, work: WorkDep, state: str = "", deadline: str = "") -> Response:
    """The list as the filters give it, one line an incident, times on the organisation's clock; audited."""
    body = listing.export_csv(work, Filters.of(state, deadline))
    name = f"incidents-{work.policy.jurisdiction.today(work.clock).isoformat()}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
    )


# -- opening ----------------------------------------------------------------------------------------------


def _customers(session: Session) -> list[tuple[int, str]] | None:
    """(id, name) of the organisations that are or were our customers; None when too many to list."""
    query = (
        select(Organisation.id, Organisation.name)
        .where(exists().where(OrganisationRole.organisation_id == Organisation.id, OrganisationRole.role == "customer"))
        .order_by(Organisation.name, Organisation.id)
        .limit(CUSTOMER_CHOICES + 1)
    )
    rows = [(int(i), str(n)) for i, n in session.execute(query)]
    return None if len(rows) > CUSTOMER_CHOICES else rows


@contextmanager
def _attempt(work: Work) -> Iterator[None]:
    """A change the service may refuse. A refused form is shown again and the request's unit still commits, so
    anything written before the refusal is rolled back to this savepoint first: a refusal changes nothing."""
    with work.session.begin_nested():
        yield


def _new_page(
    request: Request,
    runtime: Runtime,
    work: Work,
    viewer: Viewer,
    *,
    form: dict[str, str] | None = None,
    error: FormError | None = None,
) -> HTMLResponse:
    customers = _customers(work.session)
    where = runtime.policy.jurisdiction
    now_local = where.local(work.clock.now()).strftime("%Y-%m-%dT%H:%M")
    names = _names(request, runtime)
    environments = {s.id: s.environment for s in runtime.policy.systems}
    return render_page(
        request,
        "incident_new.html.j2",
        systems=[(i, f"{name} ({environments[i]})") for i, name in names.systems.items()],
        data_categories=list(names.data.items()),
        subject_categories=list(names.subjects.items()),
        viewer=viewer,
        status=error.status if error else 200,
        form=form if form is not None else {"aware_at": now_local, "role": "controller"},
        error=error,
        kinds=forms.KINDS,
        customers=customers,
        zone=str(where.zone.key),
    )


@router.get("/new", response_class=HTMLResponse)
def new_form(
    request: Request, principal: Manager, viewer: ViewerDep, runtime: RuntimeDep, work: WorkDep
) -> HTMLResponse:
    return _new_page(request, runtime, work, viewer)


@router.post("/new", response_class=HTMLResponse)
def create(
    request: Request, principal: Manager, viewer: ViewerDep, runtime: RuntimeDep, work: WorkDep, form: FormFields
) -> Response:
    kept = {k: v[: forms.LONG] for k, v in form.items() if k != "csrf_token"}
    offered = [c for c, _ in _customers(work.session) or []]
    try:
        data = forms.opening(form, work.policy, offered)
        with _attempt(work):
            incident = service.open_incident(work, data)
    except InvalidInput as exc:
        inputs = {"customer_ids": "customers", "organisation_ids": "customers"}
        return _new_page(request, runtime, work, viewer, form=kept, error=_named(exc, inputs))
    return RedirectResponse(f"/admin/incidents/{incident.id}?done=opened", status_code=303)


def _named(exc: InvalidInput | Conflict | NotFound, inputs: dict[str, str] | None = None) -> FormError:
    """As `FormError.of`, with a problem about one item of a list (`systems[0]`) shown at the list."""
    error = FormError.of(exc, inputs)
    fields: dict[str, str] = {}
    for name, message in error.fields.items():
        base = name.split("[", 1)[0]
        base = {"data_categories": "data", "subject_categories": "subjects", "systems": "system"}.get(base, base)
        fields[base] = f"{fields[base]}; {message}" if base in fields else message
    return FormError(error.message, fields, error.status)


# -- one incident -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """The policy's own words for what an incident names by id (systems, categories)."""

    systems: dict[str, str]
    data: dict[str, str]
    subjects: dict[str, str]

    def of(self, kind: str, ids: list[str]) -> str:
        names = getattr(self, kind)
        return ", ".join(names.get(i, i) for i in ids) or "–"


def _words(request: Request, runtime: Runtime) -> Words:
    ui = ui_of(request)
    assert ui is not None, "the admin UI is installed by create_app"
    return ui.words[page_language(request, runtime.settings.language)]


def _names(request: Request, runtime: Runtime) -> Names:
    """In the page's language where the policy gives a text per language (`{en: ..., sv: ...}`)."""
    lang = page_language(request, runtime.settings.language)
    policy = runtime.policy
    return Names(
        {s.id: notification.in_language(s.name, lang) for s in policy.systems},
        {c.id: notification.in_language(c.description, lang) for c in policy.data_categories},
        {c.id: notification.in_language(c.name, lang) for c in policy.subject_categories},
    )


def _detail(
    request: Request,
    runtime: Runtime,
    work: Work,
    viewer: Viewer,
    incident_id: int,
    *,
    failed: str | None = None,
    error: FormError | None = None,
    form: dict[str, str] | None = None,
    done: str | None = None,
) -> HTMLResponse:
    now = work.clock.now()
    incident = service.get_incident(work, incident_id)  # NotFound: the 404 page
    who = _staff_names(work.session, [e.actor for e in incident.timeline])
    clock = countdown(incident, now)
    authority = [n for n in incident.notifications if n.recipient == "authority"]
    where = runtime.policy.jurisdiction
    return render_page(
        request,
        "incident.html.j2",
        viewer=viewer,
        status=error.status if error else 200,
        incident=incident,
        clock=clock,
        now=now,
        window=_WINDOW_MINUTES,
        countdown_text=countdown_text,
        tracks=partial(tracks, when=shown_in(where.zone)),
        names=_names(request, runtime),
        who=who,
        changed=partial(changes_in_words, words=_words(request, runtime), when=shown_in(where.zone)),
        can_manage=viewer.can("incidents.manage"),
        failed=failed,
        error=error,
        form=form or {},
        done=done if done in _DONE else None,
        next_phase="supplement" if authority else "initial",
        now_local=where.local(now).strftime("%Y-%m-%dT%H:%M"),
        zone=str(where.zone.key),
        risks=forms.RISKS,
        exceptions=forms.EXCEPTIONS,
        pl=plural,
    )


_STAFF_LABEL = re.compile(r"(?:[a-z]+:)?staff:(\d+)")  # `staff:3`, or `cli:staff:3` for the CLI acting as them


def _staff_names(session: Session, labels: list[str]) -> dict[str, str]:
    """A timeline's actors (`staff:3`, `cli:staff:3`) by the staff member's name, so the history reads as who did
    what."""
    found = {label: int(m.group(1)) for label in labels if (m := _STAFF_LABEL.fullmatch(label))}
    if not found:
        return {}
    rows: dict[int, str] = {}
    for staff_id, name in session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(set(found.values())))):
        rows[staff_id] = name
    return {label: str(rows[staff_id]) for label, staff_id in found.items() if staff_id in rows}


# A timeline's field names where the form calls them otherwise, and the sections that word their values.
_FIELD_LABELS = {"subject_exception": "exception", "organisation_id": "customer", "systems": "system"}
_VALUE_WORDS = {
    "risk": "risks",
    "decision": "decisions",
    "role": "roles",
    "subject_exception": "exceptions",
    "channel": "channels",
}


def changes_in_words(changes: dict[str, Any], *, words: Words, when: Callable[[datetime | None], str]) -> list[str]:
    """A timeline entry's changes as lines a DPO reads ("Risk: risk not assessed → high risk"), not field=value."""
    lines = []
    for field in sorted(changes):
        value = changes[field]
        label_key = f"incidents.fields.{_FIELD_LABELS.get(field, field)}"
        label = words(label_key) if words.has(label_key) else field.replace("_", " ")
        if isinstance(value, list) and len(value) == 2:
            before, after = (_value_in_words(field, v, words, when) for v in value)
            lines.append(f"{label}: {before} → {after}")
        elif value is not None:
            lines.append(f"{label}: {_value_in_words(field, value, words, when)}")
    return lines


def _value_in_words(field: str, value: Any, words: Words, when: Callable[[datetime | None], str]) -> str:
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return words("common.yes") if value else words("common.no")
    if isinstance(value, list):
        return ", ".join(_value_in_words(field, v, words, when) for v in value)
    shown = str(value)
    section = _VALUE_WORDS.get(field)
    if section is not None and words.has(f"incidents.{section}.{shown}"):
        return words(f"incidents.{section}.{shown}")
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}.*", value):
        try:
            return when(datetime.fromisoformat(value))
        except ValueError:
            return shown
    return shown


@router.get("/{incident_id}", response_class=HTMLResponse)
def incident_detail(
    request: Request,
    incident_id: int,
    principal: Reader,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    work: WorkDep,
    done: str = "",
) -> HTMLResponse:
    return _detail(request, runtime, work, viewer, incident_id, done=done or None)


def _refused(
    request: Request,
    runtime: Runtime,
    work: Work,
    viewer: Viewer,
    incident_id: int,
    which: str,
    exc: InvalidInput | Conflict | NotFound,
    form: dict[str, str],
    inputs: dict[str, str] | None = None,
) -> HTMLResponse:
    kept = {k: v[: forms.LONG] for k, v in form.items() if k != "csrf_token"}
    return _detail(request, runtime, work, viewer, incident_id, failed=which, error=_named(exc, inputs), form=kept)


def _done(incident_id: int, what: str, anchor: str) -> RedirectResponse:
    return RedirectResponse(f"/admin/incidents/{incident_id}?done={what}#{anchor}", status_code=303)


def _update(work: Work, incident_id: int, data: IncidentUpdate) -> None:
    with _attempt(work):
        service.update_incident(work, incident_id, data)


@router.post("/{incident_id}/note", response_class=HTMLResponse)
def add_note(
    request: Request,
    incident_id: int,
    principal: Manager,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    work: WorkDep,
    form: FormFields,
) -> Response:
    """A timeline entry: what was done or learnt, in words (Art. 33(5))."""
    try:
        _update(work, incident_id, forms.note(form))
    except (InvalidInput, Conflict) as exc:
        return _refused(request, runtime, work, viewer, incident_id, "note", exc, form)
    return _done(incident_id, "note", "timeline-heading")


@router.post("/{incident_id}/facts", response_class=HTMLResponse)
def change_facts(
    request: Request,
    incident_id: int,
    principal: Manager,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    work: WorkDep,
    form: FormFields,
) -> Response:
    try:
        data = forms.facts(form)
        current = service.get_incident(work, incident_id)
        # Only what differs becomes a change; a field left as it was is not sent.
        given = {
            name: getattr(data, name)
            for name in ("consequences", "measures_taken", "measures_planned", "approx_subjects", "approx_records")
            if getattr(data, name) != getattr(current, name)
        }
        if not given:
            raise InvalidInput("nothing to change", [Problem("facts_note", "no field differs from the incident")])
        _update(work, incident_id, IncidentUpdate(note=data.note, **given))
    except (InvalidInput, Conflict) as exc:
        return _refused(
            request,
            runtime,
            work,
            viewer,
            incident_id,
            "facts",
            exc,
            form,
            {"note": "facts_note", "body": "facts_note"},
        )
    return _done(incident_id, "facts", "facts-heading")


@router.post("/{incident_id}/count", response_class=HTMLResponse)
def count_from_register(
    request: Request,
    incident_id: int,
    principal: Manager,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    work: WorkDep,
    form: FormFields,
) -> Response:
    """The approximate numbers counted from the register within the incident's scope (Art. 33(3)(a))."""
    try:
        with _attempt(work):
            service.count_scope(work, incident_id, apply=True)
    except (InvalidInput, Conflict) as exc:
        return _refused(request, runtime, work, viewer, incident_id, "facts", exc, form, {"scope": "approx_subjects"})
    return _done(incident_id, "count", "facts-heading")


@router.post("/{incident_id}/risk", response_class=HTMLResponse)
def assess_risk(
    request: Request,
    incident_id: int,
    principal: Manager,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    work: WorkDep,
    form: FormFields,
) -> Response:
    """The risk to the people's rights and freedoms: none, a risk, or a high risk (Art. 33(1), 34(1))."""
    try:
        _update(work, incident_id, forms.risk(form))
    except (InvalidInput, Conflict) as exc:
        return _refused(request, runtime, work, viewer, incident_id, "risk", exc, form, {"body": "risk"})
    return _done(incident_id, "risk", "risk-heading")


@router.post("/{incident_id}/decision", response_class=HTMLResponse)
def decide(
    request: Request,
    incident_id: int,
    principal: Manager,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    work: WorkDep,
    form: FormFields,
) -> Response:
    """Notify the authority, or not, with the reasoning on file (Art. 33(1), (5))."""
    try:
        data = forms.decision(form)
        with _attempt(work):
            service.decide(work, incident_id, data)
    except (InvalidInput, Conflict) as exc:
        return _refused(request, runtime, work, viewer, incident_id, "decision", exc, form, {"risk": "decision"})
    return _done(incident_id, "decision", "decision-heading")


@router.post("/{incident_id}/notification", response_class=HTMLResponse)
def record_notification(
    request: Request,
    incident_id: int,
    principal: Manager,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    work: WorkDep,
    form: FormFields,
) -> Response:
    """The notification as sent to the authority (or, on the NIS2 track, the CSIRT); it stays on record."""
    try:
        data = forms.notification(form, work.policy.jurisdiction)
        with _attempt(work):
            service.record_notification(work, incident_id, data)
    except (InvalidInput, Conflict) as exc:
        return _refused(request, runtime, work, viewer, incident_id, "notification", exc, form, {"body": "phase"})
    return _done(incident_id, "notification", "notifications-heading")


# -- the Art. 33(3) document ------------------------------------------------------------------------------

Lang = Literal["en", "sv"]
Audience = Literal["authority", "controller"]


@router.get("/{incident_id}/document", response_class=HTMLResponse)
def view_document(
    request: Request,
    incident_id: int,
    principal: Reader,
    viewer: ViewerDep,
    work: WorkDep,
    lang: Lang = "en",
    audience: Audience = "authority",
) -> HTMLResponse:
    """The document as of now, in English or Swedish, framed by the admin, with its downloads."""
    doc = service.document(work, incident_id, audience=audience, language=lang)  # audited as generated
    return render_page(
        request,
        "incident_document.html.j2",
        viewer=viewer,
        doc=doc,
        body=notification.render_body(doc),
        incident_id=incident_id,
        doc_lang=lang,
        audience=audience,
    )


@router.get("/{incident_id}/document.{kind}")
def download_document(
    incident_id: int,
    kind: Literal["html", "json"],
    principal: Reader,
    work: WorkDep,
    lang: Lang = "en",
    audience: Audience = "authority",
) -> Response:
    """A file to keep, print or attach: the printable page, or the same document as JSON."""
    doc = service.document(work, incident_id, audience=audience, language=lang)  # audited as generated
    name = f"incident-{incident_id}-art33-{audience}-{lang}.{kind}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    if kind == "json":
        body = json.dumps(doc, indent=2, ensure_ascii=False)
        return Response(body, media_type="application/json; charset=utf-8", headers=disposition)
    return Response(notification.render_html(doc), media_type="text/html; charset=utf-8", headers=disposition)


# -- Art. 34: the people concerned ------------------------------------------------------------------------


def _letters_page(
    request: Request,
    runtime: Runtime,
    work: Work,
    viewer: Viewer,
    incident_id: int,
    *,
    error: FormError | None = None,
    language: str = "",
) -> HTMLResponse:
    incident = service.get_incident(work, incident_id)
    try:
        plan: subjects.LetterPlan | None = subjects.letter_plan(work, incident_id)
    except InvalidInput as exc:  # the incident names no scope to select people by
        plan, error = None, error or FormError.of(exc)
    return render_page(
        request,
        "incident_letters.html.j2",
        viewer=viewer,
        status=error.status if error else 200,
        incident=incident,
        plan=plan,
        error=error,
        language=language or runtime.settings.language,
        pl=plural,
    )


@router.get("/{incident_id}/letters", response_class=HTMLResponse)
def letters_confirm(
    request: Request, incident_id: int, principal: Manager, viewer: ViewerDep, runtime: RuntimeDep, work: WorkDep
) -> HTMLResponse:
    """Before any letter goes: how many people, in which language, and a confirmation of that number."""
    return _letters_page(request, runtime, work, viewer, incident_id)


@router.post("/{incident_id}/letters", response_class=HTMLResponse)
def letters_send(
    request: Request, incident_id: int, principal: Manager, viewer: ViewerDep, runtime: RuntimeDep, form: FormFields
) -> Response:
    """Art. 34(1): the letters, once the number the page showed is confirmed; a changed scope is shown again.

    No request unit: the letters are runtime tier, each committed in a unit of its own as it goes, and a unit
    held open around them would also hold SQLite's write lock against them."""
    language = text(form, "language", limit=2)
    if language not in runtime.policy.jurisdiction.languages:
        language = runtime.settings.language
    confirmed = text(form, "people", limit=9)
    try:
        with runtime.work(principal.actor) as work:
            plan = subjects.letter_plan(work, incident_id)
        if not confirmed.isdigit() or int(confirmed) != plan.left:
            problem = "the number of people changed since the page was shown" if confirmed.isdigit() else "confirm"
            raise InvalidInput(
                "the letters were not sent",
                [Problem("people", problem, hint=f"{plan.left} people would be written to now")],
            )
        mailer = mailer_for(runtime.settings, str(runtime.policy.organisation.contacts.privacy))
        subjects.send_letters(runtime, principal.actor, incident_id, mailer, language)
    except (InvalidInput, Conflict) as exc:
        with runtime.work(principal.actor) as work:
            return _letters_page(
                request, runtime, work, viewer, incident_id, error=FormError.of(exc), language=language
            )
    return _done(incident_id, "letters", "subjects-heading")


@router.post("/{incident_id}/exception", response_class=HTMLResponse)
def record_exception(
    request: Request,
    incident_id: int,
    principal: Manager,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    work: WorkDep,
    form: FormFields,
) -> Response:
    """Art. 34(3): why the people are not written to; letters are refused afterwards."""
    try:
        data = forms.exception(form)
        with _attempt(work):
            service.record_subject_exception(work, incident_id, data)
    except (InvalidInput, Conflict) as exc:
        return _refused(request, runtime, work, viewer, incident_id, "exception", exc, form, {"body": "exception"})
    return _done(incident_id, "exception", "subjects-heading")


@router.post("/{incident_id}/customers/{organisation_id}", response_class=HTMLResponse)
def customer_told(
    request: Request,
    incident_id: int,
    organisation_id: int,
    principal: Manager,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    work: WorkDep,
    form: FormFields,
) -> Response:
    """Art. 33(2), 28(3)(f): one customer (a controller whose data we process) has been told."""
    try:
        data = forms.customer(form, organisation_id)
        with _attempt(work):
            service.record_customer_notified(work, incident_id, data)
    except (InvalidInput, Conflict) as exc:
        return _refused(request, runtime, work, viewer, incident_id, f"customer-{organisation_id}", exc, form)
    return _done(incident_id, "customer", "customers-heading")


@router.post("/{incident_id}/close", response_class=HTMLResponse)
def close(
    request: Request,
    incident_id: int,
    principal: Manager,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    work: WorkDep,
    form: FormFields,
) -> Response:
    """Closed, never removed (Art. 33(5)); a closed incident can be reopened."""
    try:
        forms.confirmed(form, "confirm_close", "the incident was not closed")
        data = IncidentUpdate(state="closed", note=text(form, "close_note", limit=forms.LONG) or None)
        _update(work, incident_id, data)
    except (InvalidInput, Conflict) as exc:
        return _refused(request, runtime, work, viewer, incident_id, "close", exc, form, {"body": "confirm_close"})
    return _done(incident_id, "close", "close-heading")


@router.post("/{incident_id}/reopen", response_class=HTMLResponse)
def reopen(
    request: Request,
    incident_id: int,
    principal: Manager,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    work: WorkDep,
    form: FormFields,
) -> Response:
    try:
        _update(work, incident_id, IncidentUpdate(state="open"))
    except (InvalidInput, Conflict) as exc:
        return _refused(request, runtime, work, viewer, incident_id, "close", exc, form)
    return _done(incident_id, "reopen", "close-heading")
