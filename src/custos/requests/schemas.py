"""What goes in and out of the requests service, one schema per direction."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from custos.requests.states import Kind

MAX_DETAILS = 4000


class RequestCreate(BaseModel):
    """A new request from any channel. `received_at` is only taken from staff and integrations: a web form's
    request arrives when it is posted (Art. 12(3): the clock starts on arrival)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Kind
    email: str = Field(min_length=3, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    organisation: str | None = Field(default=None, max_length=200)
    details: str | None = Field(default=None, max_length=MAX_DETAILS)
    language: Literal["en", "sv"] = "en"
    processor_service: str | None = Field(default=None, max_length=60)
    received_at: datetime | None = None


class TaskPublic(BaseModel):
    target: str
    action: str
    state: str
    attempts: int
    error: str | None
    result: dict[str, Any]
    updated_at: datetime


class EventPublic(BaseModel):
    at: datetime
    actor: str
    kind: str
    from_state: str | None
    to_state: str | None
    note: str | None
    # What the step did, by id (the assignee's staff id, a system, a letter); the pages word it with names.
    details: dict[str, Any] = {}


class RequestSummary(BaseModel):
    ref: str
    kind: str
    channel: str
    state: str
    language: str
    received_at: datetime
    due_on: date
    days_left: int
    overdue: bool
    extended: bool
    assignee_id: int | None
    ready: bool  # every task done: waiting for staff to complete


class RequestPublic(RequestSummary):
    """The case as staff see it: contact details decrypted, history and tasks."""

    email: str
    phone: str | None
    organisation: str | None
    details: str | None
    processor_service: str | None
    person_ref: str | None
    original_due_on: date
    extension_reason: str | None
    decision: str | None
    approved_at: datetime | None
    outcome: dict[str, Any]
    # An erasure's Art. 17(3) review (activities, decisions, who and when) and what it keeps (one line per
    # category: laws, claims, until), once its work is planned.
    assessment: dict[str, Any] | None = None
    keep: list[dict[str, Any]] = []
    tasks: list[TaskPublic]
    events: list[EventPublic]


class SubmitResult(BaseModel):
    """What the submitter gets back once: the ref and the private status link (its secret is stored hashed)."""

    ref: str
    state: str
    due_on: date
    status_url: str


class StatusPublic(BaseModel):
    """What the subject sees on their private status page: no one else's data, no staff names."""

    ref: str
    kind: str
    state: str
    received_at: datetime
    due_on: date
    extended: bool
    language: str
    events: list[tuple[datetime, str]]
    download_ready: bool
    days_left: int | None = None  # while open: days to the due date (negative once it has passed)
    download_until: date | None = None  # the last day the package can be downloaded


def request_from_form(values: dict[str, Any]) -> RequestCreate:
    """A `RequestCreate` from a form's fields, with the model's own checks turned into `InvalidInput`."""
    from pydantic import ValidationError

    from custos.errors import InvalidInput, Problem

    try:
        return RequestCreate.model_validate(values)
    except ValidationError as exc:
        problems = [Problem(".".join(str(p) for p in e["loc"]) or "form", e["msg"]) for e in exc.errors()]
        raise InvalidInput("the request cannot be taken in as written", problems) from None
