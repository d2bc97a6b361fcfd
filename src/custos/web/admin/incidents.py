"""The breach register's pages: every incident with the 72-hour countdown, and one incident with its timeline.

`incidents.read` to look (the DPO, the privacy officer, the auditor). The countdown is computed on the server
from the runtime's clock, so the page says the same as the API and the CLI; `/static/incidents.js` only
ticks it down between page loads (progressive enhancement: without scripts the page is still right as of
its load). The Art. 33(3) document is the API's own (`/api/v1/incidents/{id}/document`), which audits it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from custos.access.principal import Principal
from custos.incidents import deadlines, service
from custos.incidents.models import Incident
from custos.incidents.schemas import IncidentPublic
from custos.web.admin.pages import ViewerDep, render_page
from custos.web.admin.texts import Words
from custos.web.admin.ui import shown_in
from custos.web.auth import Require
from custos.web.deps import RuntimeDep

router = APIRouter(prefix="/admin/incidents", include_in_schema=False)

Reader = Annotated[Principal, Require("incidents.read")]

_WINDOW_MINUTES = deadlines.AUTHORITY_HOURS * 60


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


def _all(runtime: RuntimeDep) -> list[IncidentPublic]:
    query = select(Incident).options(
        selectinload(Incident.events), selectinload(Incident.notifications), selectinload(Incident.customers)
    )
    with runtime.db.transaction() as session:
        found = [service.to_public(session, runtime.clock, i) for i in session.scalars(query)]
    # Open ones first, the most pressing (earliest deadline) at the top; then closed ones, newest first.
    open_ = sorted((i for i in found if i.state == "open"), key=lambda i: (i.deadline, i.id))
    closed = sorted((i for i in found if i.state != "open"), key=lambda i: (i.aware_at, i.id), reverse=True)
    return open_ + closed


@router.get("", response_class=HTMLResponse)
def incident_list(request: Request, principal: Reader, viewer: ViewerDep, runtime: RuntimeDep) -> HTMLResponse:
    now = runtime.clock.now()
    rows = [(incident, countdown(incident, now)) for incident in _all(runtime)]
    return render_page(
        request,
        "incidents.html.j2",
        viewer=viewer,
        rows=rows,
        now=now,
        window=_WINDOW_MINUTES,
        countdown_text=countdown_text,
        tracks=partial(tracks, when=shown_in(runtime.policy.jurisdiction.zone)),
    )


@router.get("/{incident_id}", response_class=HTMLResponse)
def incident_detail(
    request: Request, incident_id: int, principal: Reader, viewer: ViewerDep, runtime: RuntimeDep
) -> HTMLResponse:
    now = runtime.clock.now()
    with runtime.db.transaction() as session:
        incident = service.get_incident(session, runtime.clock, incident_id)  # NotFound: the 404 page
    return render_page(
        request,
        "incident.html.j2",
        viewer=viewer,
        incident=incident,
        clock=countdown(incident, now),
        now=now,
        window=_WINDOW_MINUTES,
        countdown_text=countdown_text,
        tracks=partial(tracks, when=shown_in(runtime.policy.jurisdiction.zone)),
    )
