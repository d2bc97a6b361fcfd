"""Incident schemas, one per direction: `*Create`/`*Update` in, `*Public` out."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

Kind = Literal["confidentiality", "integrity", "availability"]
Risk = Literal["none", "risk", "high"]
Role = Literal["controller", "processor"]
State = Literal["open", "closed"]
Phase = Literal["initial", "supplement", "early_warning", "notification", "final"]
Recipient = Literal["authority", "csirt"]
SubjectException = Literal["encrypted", "risk_removed", "disproportionate_effort"]
Language = Literal["en", "sv"]

_TEXT = 5000


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class IncidentCreate(_In):
    summary: str = Field(min_length=3, max_length=_TEXT, description="what happened")
    aware_at: AwareDatetime | None = Field(default=None, description="when we became aware; default now")
    occurred_at: AwareDatetime | None = Field(default=None, description="when it happened, if known")
    reported_by: str = Field(min_length=1, max_length=200, description="who reported it (name or role)")
    kinds: list[Kind] = Field(min_length=1)
    systems: list[str] = Field(default_factory=list, description="system ids from the policy")
    environments: list[str] = Field(default_factory=list, description="environments from the policy")
    data_categories: list[str] = Field(default_factory=list)
    subject_categories: list[str] = Field(default_factory=list)
    organisation_ids: list[int] = Field(default_factory=list, description="register organisations in scope")
    approx_subjects: int | None = Field(default=None, ge=0)
    approx_records: int | None = Field(default=None, ge=0)
    consequences: str | None = Field(default=None, max_length=_TEXT)
    measures_taken: str | None = Field(default=None, max_length=_TEXT)
    measures_planned: str | None = Field(default=None, max_length=_TEXT)
    risk: Risk | None = None
    risk_reasoning: str | None = Field(default=None, max_length=_TEXT)
    role: Role = "controller"
    customer_ids: list[int] = Field(default_factory=list, description="as processor: the affected customers")
    nis2: bool = Field(default=False, description="also follow the NIS2 reporting track")

    @model_validator(mode="after")
    def _consistent(self) -> IncidentCreate:
        if self.occurred_at and self.aware_at and self.occurred_at > self.aware_at:
            raise ValueError("occurred_at is after aware_at")
        if self.role == "controller" and self.customer_ids:
            raise ValueError("customer_ids are for incidents where we act as processor")
        return self


class IncidentUpdate(_In):
    """A change to the facts as they become known; each becomes a timeline entry with its `note`."""

    note: str | None = Field(default=None, max_length=_TEXT, description="why, or what was learnt")
    summary: str | None = Field(default=None, min_length=3, max_length=_TEXT)
    occurred_at: AwareDatetime | None = None
    kinds: list[Kind] | None = Field(default=None, min_length=1)
    systems: list[str] | None = None
    environments: list[str] | None = None
    data_categories: list[str] | None = None
    subject_categories: list[str] | None = None
    organisation_ids: list[int] | None = None
    approx_subjects: int | None = Field(default=None, ge=0)
    approx_records: int | None = Field(default=None, ge=0)
    consequences: str | None = Field(default=None, max_length=_TEXT)
    measures_taken: str | None = Field(default=None, max_length=_TEXT)
    measures_planned: str | None = Field(default=None, max_length=_TEXT)
    risk: Risk | None = None
    risk_reasoning: str | None = Field(default=None, max_length=_TEXT)
    customer_ids: list[int] | None = None
    nis2: bool | None = None
    state: State | None = None


class NotificationCreate(_In):
    recipient: Recipient = "authority"
    phase: Phase = "initial"
    sent_at: AwareDatetime | None = Field(default=None, description="when it was sent; default now")
    reference: str | None = Field(default=None, max_length=100, description="the authority's case number")
    late_reason: str | None = Field(default=None, max_length=_TEXT, description="Art. 33(1): why after 72 hours")

    @model_validator(mode="after")
    def _phase_fits(self) -> NotificationCreate:
        allowed = {"authority": {"initial", "supplement"}, "csirt": {"early_warning", "notification", "final"}}
        if self.phase not in allowed[self.recipient]:
            raise ValueError(f"phase {self.phase} is not one of {sorted(allowed[self.recipient])} for {self.recipient}")
        return self


class DecisionCreate(_In):
    decision: Literal["notify", "not_notify"]
    reasoning: str = Field(min_length=10, max_length=_TEXT, description="Art. 33(5): why")


class SubjectExceptionCreate(_In):
    exception: SubjectException
    reasoning: str = Field(min_length=10, max_length=_TEXT)
    public_notice: str | None = Field(default=None, max_length=_TEXT, description="where and how it was published")

    @model_validator(mode="after")
    def _notice_for_effort(self) -> SubjectExceptionCreate:
        # Art. 34(3)(c): disproportionate effort is allowed only with a public communication instead.
        if self.exception == "disproportionate_effort" and not self.public_notice:
            raise ValueError("disproportionate effort needs the public notice that replaces the letters")
        return self


class LettersSend(_In):
    language: Language | None = Field(default=None, description="default: the installation's language")


class CustomerNotified(_In):
    organisation_id: int
    sent_at: AwareDatetime | None = None
    channel: Literal["email", "other"] = "other"
    reference: str | None = Field(default=None, max_length=100)


class EventPublic(BaseModel):
    at: datetime
    actor: str
    kind: str
    note: str | None
    changes: dict[str, Any]


class NotificationPublic(BaseModel):
    id: int
    recipient: str
    phase: str
    sent_at: datetime
    reference: str | None
    late: bool
    late_reason: str | None
    recorded_by: str


class CustomerPublic(BaseModel):
    organisation_id: int
    organisation_name: str
    state: str
    notified_at: datetime | None
    channel: str | None
    reference: str | None


class Nis2Public(BaseModel):
    early_warning_due: datetime
    notification_due: datetime
    final_report_due: datetime | None


class IncidentSummary(BaseModel):
    id: int
    summary: str
    state: str
    risk: str | None
    role: str
    aware_at: datetime
    deadline: datetime
    remaining_hours: float
    authority_notified: bool
    decision: str | None


class IncidentPublic(IncidentSummary):
    occurred_at: datetime | None
    reported_by: str
    recorded_by: str
    kinds: list[str]
    systems: list[str]
    environments: list[str]
    data_categories: list[str]
    subject_categories: list[str]
    organisation_ids: list[int]
    approx_subjects: int | None
    approx_records: int | None
    consequences: str | None
    measures_taken: str | None
    measures_planned: str | None
    risk_reasoning: str | None
    decision_reasoning: str | None
    decided_at: datetime | None
    subject_exception: str | None
    subject_exception_reasoning: str | None
    public_notice: str | None
    letters: dict[str, int] = Field(description="letters to subjects by state; people are listed only to managers")
    nis2: Nis2Public | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    notifications: list[NotificationPublic]
    customers: list[CustomerPublic]
    timeline: list[EventPublic]


class LetterPublic(BaseModel):
    person_ref: str
    language: str
    state: str
    error: str | None
    at: datetime


class ScopeCount(BaseModel):
    subjects: int
    records: int
