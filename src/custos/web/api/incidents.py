"""Personal data breaches over HTTP: `incidents.read` to look, `incidents.manage` to change or notify.

There is no DELETE: Art. 33(5) asks for a record of every breach, so an incident is closed, never removed.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse

from custos.access.principal import Principal
from custos.incidents import notification, service, subjects
from custos.incidents.schemas import (
    CustomerNotified,
    DecisionCreate,
    IncidentCreate,
    IncidentPublic,
    IncidentSummary,
    IncidentUpdate,
    LetterPublic,
    LettersSend,
    NotificationCreate,
    NotificationPublic,
    ScopeCount,
    SubjectExceptionCreate,
)
from custos.mail import mailer_for
from custos.web.auth import Require, WorkDep
from custos.web.deps import RuntimeDep

Reader = Annotated[Principal, Require("incidents.read")]
Manager = Annotated[Principal, Require("incidents.manage")]

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])


@router.get("", response_model=list[IncidentSummary])
def list_incidents(
    work: WorkDep,
    principal: Reader,
    state: Annotated[Literal["open", "closed"] | None, Query()] = None,
) -> list[IncidentSummary]:
    return service.list_incidents(work, state=state)


@router.post("", response_model=IncidentPublic, status_code=201)
def open_incident(data: IncidentCreate, work: WorkDep, principal: Manager) -> IncidentPublic:
    return service.open_incident(work, data)


@router.get("/{incident_id}", response_model=IncidentPublic)
def get_incident(incident_id: int, work: WorkDep, principal: Reader) -> IncidentPublic:
    return service.get_incident(work, incident_id)


@router.patch("/{incident_id}", response_model=IncidentPublic)
def update_incident(incident_id: int, data: IncidentUpdate, work: WorkDep, principal: Manager) -> IncidentPublic:
    return service.update_incident(work, incident_id, data)


@router.post("/{incident_id}/decision", response_model=IncidentPublic)
def decide(incident_id: int, data: DecisionCreate, work: WorkDep, principal: Manager) -> IncidentPublic:
    return service.decide(work, incident_id, data)


@router.post("/{incident_id}/notifications", response_model=NotificationPublic, status_code=201)
def record_notification(
    incident_id: int, data: NotificationCreate, work: WorkDep, principal: Manager
) -> NotificationPublic:
    return service.record_notification(work, incident_id, data)


@router.get("/{incident_id}/document", response_model=None)
def document(
    incident_id: int,
    work: WorkDep,
    principal: Reader,
    format: Annotated[Literal["json", "html"], Query()] = "json",
    audience: Annotated[Literal["authority", "controller"], Query()] = "authority",
) -> JSONResponse | HTMLResponse:
    doc: dict[str, Any] = service.document(work, incident_id, audience=audience)
    if format == "html":
        return HTMLResponse(notification.render_html(doc))
    return JSONResponse(doc)


@router.post("/{incident_id}/scope", response_model=ScopeCount)
def count_scope(
    incident_id: int,
    work: WorkDep,
    principal: Manager,
    apply: Annotated[bool, Query(description="write the counts as the approximate numbers")] = False,
) -> ScopeCount:
    return service.count_scope(work, incident_id, apply=apply)


@router.post("/{incident_id}/letters", response_model=dict[str, int])
def send_letters(incident_id: int, data: LettersSend, runtime: RuntimeDep, principal: Manager) -> dict[str, int]:
    # Runtime tier, no request unit: each letter commits in a unit of its own as it goes (a request-long
    # transaction would also hold SQLite's write lock against them).
    mailer = mailer_for(runtime.settings, str(runtime.policy.organisation.contacts.privacy))
    language = data.language or runtime.settings.language
    return subjects.send_letters(runtime, principal.actor, incident_id, mailer, language)


@router.get("/{incident_id}/letters", response_model=list[LetterPublic])
def list_letters(incident_id: int, work: WorkDep, principal: Manager) -> list[LetterPublic]:
    # Managers only: the list names people (by ref), which the auditor's read-only role does not see.
    return subjects.list_letters(work, incident_id)


@router.post("/{incident_id}/subject-exception", response_model=IncidentPublic)
def subject_exception(
    incident_id: int, data: SubjectExceptionCreate, work: WorkDep, principal: Manager
) -> IncidentPublic:
    return service.record_subject_exception(work, incident_id, data)


@router.post("/{incident_id}/customers", response_model=IncidentPublic)
def customer_notified(incident_id: int, data: CustomerNotified, work: WorkDep, principal: Manager) -> IncidentPublic:
    return service.record_customer_notified(work, incident_id, data)
