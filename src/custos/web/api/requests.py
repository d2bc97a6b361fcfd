"""Data subject requests over HTTP: `requests.intake` to take one in (an integration, a ticket system),
`requests.manage` to handle them. Same rules as the public form and the admin pages (`custos.requests`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from custos.access.principal import Principal
from custos.actor import Actor
from custos.requests import actions, answers, assessment, cases, intake
from custos.requests.driver import drive_request
from custos.requests.schemas import RequestCreate, RequestPublic, RequestSummary, SubmitResult
from custos.requests.states import KINDS, STATES
from custos.web.auth import Require, WorkDep
from custos.web.deps import RuntimeDep

Intake = Annotated[Principal, Require("requests.intake")]
Manager = Annotated[Principal, Require("requests.manage")]

router = APIRouter(prefix="/api/v1/requests", tags=["requests"])


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NoteBody(_Body):
    note: str = Field(default="", max_length=4000)


class AssignBody(_Body):
    staff_id: int | None


class ExtendBody(_Body):
    months: int = Field(ge=1, le=2)
    reason: str = Field(max_length=4000)


class RefuseBody(_Body):
    reasons: str = Field(max_length=4000)


class ApproveBody(_Body):
    note: str = Field(max_length=4000)
    changes: dict[str, str] | None = None


class Outcome(BaseModel):
    ref: str
    state: str
    ready: bool = False


@router.post("", response_model=SubmitResult, status_code=201)
def create_request(data: RequestCreate, runtime: RuntimeDep, principal: Intake) -> SubmitResult:
    """Staff accounts may give `received_at` (the real arrival); the subject gets the identity link by email."""
    return intake.submit(runtime, principal.actor, data, channel="api")


@router.get("", response_model=list[RequestSummary])
def list_requests(
    work: WorkDep,
    principal: Manager,
    state: Annotated[str | None, Query(description=", ".join(STATES))] = None,
    kind: Annotated[str | None, Query(description=", ".join(KINDS))] = None,
    assignee: Annotated[int | None, Query()] = None,
    overdue: Annotated[bool, Query()] = False,
) -> list[RequestSummary]:
    return cases.list_requests(work, state=state, kind=kind, assignee_id=assignee, overdue=overdue)


@router.get("/{ref}", response_model=RequestPublic)
def get_request(ref: str, work: WorkDep, principal: Manager) -> RequestPublic:
    return cases.view(work, ref)[1]


def _outcome(runtime: RuntimeDep, ref: str, actor: Actor) -> Outcome:
    """Where a runtime-tier action left the request, read in a unit of its own once the action has committed."""
    with runtime.work(actor) as work:
        req = cases.load(work.session, ref)
        return Outcome(ref=ref, state=req.state, ready=cases.ready(req))


@router.post("/{ref}/verify", response_model=Outcome)
def verify(ref: str, body: NoteBody, runtime: RuntimeDep, principal: Manager) -> Outcome:
    actions.verify_manually(runtime, ref, principal.actor, body.note)
    return _outcome(runtime, ref, principal.actor)


@router.post("/{ref}/verification-email", response_model=Outcome)
def verification_email(ref: str, runtime: RuntimeDep, principal: Manager) -> Outcome:
    intake.send_verification(runtime, ref, principal.actor)
    return _outcome(runtime, ref, principal.actor)


@router.post("/{ref}/assign", response_model=Outcome)
def assign(ref: str, body: AssignBody, work: WorkDep, principal: Manager) -> Outcome:
    req = cases.assign(work, ref, body.staff_id)
    return Outcome(ref=ref, state=req.state, ready=cases.ready(req))


@router.post("/{ref}/extend", response_model=Outcome)
def extend(ref: str, body: ExtendBody, runtime: RuntimeDep, principal: Manager) -> Outcome:
    actions.extend(runtime, ref, principal.actor, months=body.months, reason=body.reason)
    return _outcome(runtime, ref, principal.actor)


@router.post("/{ref}/refuse", response_model=Outcome)
def refuse(ref: str, body: RefuseBody, runtime: RuntimeDep, principal: Manager) -> Outcome:
    actions.refuse(runtime, ref, principal.actor, body.reasons)
    return _outcome(runtime, ref, principal.actor)


@router.post("/{ref}/withdraw", response_model=Outcome)
def withdraw(ref: str, body: NoteBody, work: WorkDep, principal: Manager) -> Outcome:
    req = cases.withdraw(work, ref, body.note or None)
    return Outcome(ref=ref, state=req.state)


@router.post("/{ref}/approve", response_model=Outcome)
def approve(ref: str, body: ApproveBody, runtime: RuntimeDep, principal: Manager) -> Outcome:
    actions.approve(runtime, ref, principal.actor, body.note, body.changes)
    return _outcome(runtime, ref, principal.actor)


@router.post("/{ref}/drive", response_model=Outcome)
def drive(ref: str, runtime: RuntimeDep, principal: Manager) -> Outcome:
    result = drive_request(runtime, ref, actor=principal.actor)
    return Outcome(ref=ref, state=result.state, ready=result.ready)


@router.post("/{ref}/retry", response_model=Outcome)
def retry(ref: str, runtime: RuntimeDep, principal: Manager) -> Outcome:
    result = actions.retry(runtime, ref, principal.actor)
    return Outcome(ref=ref, state=result.state, ready=result.ready)


@router.post("/{ref}/complete", response_model=Outcome)
def complete(ref: str, body: NoteBody, runtime: RuntimeDep, principal: Manager) -> Outcome:
    answers.complete(runtime, ref, principal.actor, note=body.note or None)
    return _outcome(runtime, ref, principal.actor)


@router.post("/{ref}/customer-informed", response_model=Outcome)
def customer_informed(ref: str, body: NoteBody, work: WorkDep, principal: Manager) -> Outcome:
    req = cases.record_customer_informed(work, ref, body.note)
    return Outcome(ref=ref, state=req.state)


Assessor = Annotated[Principal, Require(assessment.PERMISSION)]


class DecisionBody(_Body):
    category: str = Field(max_length=100)
    decision: Literal["erase", "keep"]
    ground: Literal["legal_obligation", "legal_claims"] | None = None
    reason: str | None = Field(default=None, max_length=assessment.MAX_REASON)
    until: date | None = None


class AssessmentBody(_Body):
    decisions: list[DecisionBody] = Field(max_length=200)


class ReviewItemPublic(BaseModel):
    category: str
    description: str
    activities: list[str]
    grounds: list[str]
    kept_by_law: dict[str, Any] | None  # the law's line (laws, until): then it can only be kept
    proposal: DecisionBody


@router.get("/{ref}/assessment", response_model=list[ReviewItemPublic])
def assessment_items(ref: str, work: WorkDep, principal: Assessor) -> list[ReviewItemPublic]:
    """Art. 17(3): what an erasure waiting in `assessing` asks a reviewer to decide, with the form's proposal."""
    req = cases.load(work.session, ref)
    found = []
    for item in assessment.items(work, req):
        p = assessment.proposal(item)
        proposal = DecisionBody(
            category=p.category, decision=p.decision, ground=p.ground, reason=p.reason, until=p.until
        )
        found.append(
            ReviewItemPublic(
                category=item.category,
                description=item.description,
                activities=list(item.activities),
                grounds=list(item.grounds),
                kept_by_law=item.legal,
                proposal=proposal,
            )
        )
    return found


@router.post("/{ref}/assessment", response_model=Outcome)
def assess(ref: str, body: AssessmentBody, runtime: RuntimeDep, principal: Assessor) -> Outcome:
    """Record the decision per category (erase, or keep under 17(3)(b)/(e) with a reason and a date); the
    erasure then runs. Every category under review must be decided; a problem names `decisions.<category>`."""
    decisions = [assessment.Decision(d.category, d.decision, d.ground, d.reason, d.until) for d in body.decisions]
    result = actions.assess(runtime, ref, principal.actor, decisions)
    return Outcome(ref=ref, state=result.state, ready=result.ready)
