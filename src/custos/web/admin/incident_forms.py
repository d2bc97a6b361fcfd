"""The incident forms of the admin, read into the service's schemas; every refusal names the form's own input.

Each form on the incident page has inputs of its own names (`risk_reasoning`, `decision_reasoning`, …) so an
error is shown next to the field of the form that was sent, not of another form with a field of the same name.
Times are typed on the organisation's clock (`custos.jurisdiction`): a time the clock skips or shows twice is
refused there, next to the field, since either reading could put the 72 hours an hour off (Art. 33(1)).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from custos.errors import InvalidInput, Problem
from custos.incidents.schemas import (
    CustomerNotified,
    DecisionCreate,
    IncidentCreate,
    IncidentUpdate,
    NotificationCreate,
    SubjectExceptionCreate,
)
from custos.jurisdiction import Jurisdiction
from custos.policy import Policy
from custos.web.admin.forms import text

KINDS = ("confidentiality", "integrity", "availability")
RISKS = ("none", "risk", "high")
EXCEPTIONS = ("encrypted", "risk_removed", "disproportionate_effort")
LONG = 5000

Model = TypeVar("Model", bound=BaseModel)


def checked(form: dict[str, str], prefix: str, allowed: list[str] | tuple[str, ...]) -> list[str]:
    """The values of a group of checkboxes named `<prefix>-<value>`, in the order they are offered."""
    return [value for value in allowed if form.get(f"{prefix}-{value}")]


def typed_time(where: Jurisdiction, form: dict[str, str], name: str) -> datetime | None:
    value = text(form, name, limit=40)
    return where.parse_time(value, location=name) if value else None


def build(model: type[Model], values: dict[str, Any], message: str, inputs: dict[str, str]) -> Model:
    """`model(**values)`, a validation error becoming an `InvalidInput` naming the form's inputs."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = []
        for item in exc.errors():
            field = str(item["loc"][0]) if item["loc"] else ""
            where = inputs.get(field, field) if field else inputs.get("", "form")
            problems.append(Problem(where, str(item["msg"]).removeprefix("Value error, ")))
        raise InvalidInput(message, problems) from None


def _number(form: dict[str, str], name: str, problems: list[Problem]) -> int | None:
    value = text(form, name, limit=12)
    if not value:
        return None
    if not value.isdigit():
        problems.append(Problem(name, f"{value!r} is not a whole number", hint="e.g. 140"))
        return None
    return int(value)


def opening(form: dict[str, str], policy: Policy, customers: list[int]) -> IncidentCreate:
    """The "open an incident" form. `customers` are the organisations offered as customers (checkboxes)."""
    where = policy.jurisdiction
    problems: list[Problem] = []
    times: dict[str, datetime | None] = {}
    for name in ("aware_at", "occurred_at"):
        try:
            times[name] = typed_time(where, form, name)
        except InvalidInput as exc:
            problems += exc.problems
    role = text(form, "role", limit=12)
    if role not in ("controller", "processor"):
        problems.append(Problem("role", "say whether we are the controller or process it for customers"))
    chosen = checked(form, "customer", [str(c) for c in customers])
    typed = [part.strip() for part in text(form, "customer_numbers", limit=500).split(",") if part.strip()]
    bad = [part for part in typed if not part.isdigit()]
    if bad:
        problems.append(Problem("customer_numbers", f"{', '.join(bad)}: not an organisation's number", hint="12, 40"))
    customer_ids = sorted({int(c) for c in chosen} | {int(c) for c in typed if c.isdigit()})
    if role == "processor" and not customer_ids and not bad:
        # Art. 33(2), 28(3)(f): as processor we tell the controllers; an incident naming none tells no one.
        problems.append(Problem("customers", "choose the customers (controllers) whose data it is"))
    if problems:
        raise InvalidInput("the incident was not opened", problems)
    values = {
        "summary": text(form, "summary", limit=LONG),
        "reported_by": text(form, "reported_by", limit=200),
        "kinds": checked(form, "kind", KINDS),
        "aware_at": times["aware_at"],
        "occurred_at": times["occurred_at"],
        "systems": checked(form, "system", [s.id for s in policy.systems]),
        "data_categories": checked(form, "data", [c.id for c in policy.data_categories]),
        "subject_categories": checked(form, "subjects", [c.id for c in policy.subject_categories]),
        "role": role,
        "customer_ids": customer_ids if role == "processor" else [],
        "nis2": bool(form.get("nis2")),
    }
    inputs = {"": "occurred_at", "customer_ids": "customers"}
    return build(IncidentCreate, values, "the incident was not opened", inputs)


def note(form: dict[str, str]) -> IncidentUpdate:
    value = text(form, "note", limit=LONG)
    if not value:
        raise InvalidInput("the timeline entry is empty", [Problem("note", "write what happened or was learnt")])
    return IncidentUpdate(note=value)


def facts(form: dict[str, str]) -> IncidentUpdate:
    """Consequences, measures and the approximate numbers as they become known (Art. 33(3)(a), (c), (d))."""
    problems: list[Problem] = []
    subjects = _number(form, "approx_subjects", problems)
    records = _number(form, "approx_records", problems)
    if problems:
        raise InvalidInput("the facts were not changed", problems)
    values = {
        "consequences": text(form, "consequences", limit=LONG) or None,
        "measures_taken": text(form, "measures_taken", limit=LONG) or None,
        "measures_planned": text(form, "measures_planned", limit=LONG) or None,
        "approx_subjects": subjects,
        "approx_records": records,
        "note": text(form, "facts_note", limit=LONG) or None,
    }
    return build(IncidentUpdate, values, "the facts were not changed", {"note": "facts_note"})


def risk(form: dict[str, str]) -> IncidentUpdate:
    level = text(form, "risk", limit=10)
    reasoning = text(form, "risk_reasoning", limit=LONG)
    problems = []
    if level not in RISKS:
        problems.append(Problem("risk", "choose no risk, a risk or a high risk"))
    if not reasoning:
        # Art. 33(5): the record must let the authority verify the assessment, so it carries its reasons.
        problems.append(Problem("risk_reasoning", "say why: what could happen to the people, and how likely"))
    if problems:
        raise InvalidInput("the risk was not assessed", problems)
    return build(
        IncidentUpdate, {"risk": level, "risk_reasoning": reasoning}, "the risk was not assessed", {"": "risk"}
    )


def decision(form: dict[str, str]) -> DecisionCreate:
    values = {"decision": text(form, "decision", limit=12), "reasoning": text(form, "decision_reasoning", limit=LONG)}
    return build(
        DecisionCreate, values, "the decision was not recorded", {"reasoning": "decision_reasoning", "": "decision"}
    )


def confirmed(form: dict[str, str], name: str, message: str) -> None:
    if not form.get(name):
        raise InvalidInput(message, [Problem(name, "tick the box to confirm: this cannot be undone")])


def notification(form: dict[str, str], where: Jurisdiction) -> NotificationCreate:
    problems: list[Problem] = []
    try:
        sent_at = typed_time(where, form, "sent_at")
    except InvalidInput as exc:
        problems += exc.problems
        sent_at = None
    if not form.get("confirm_notification"):
        problems.append(Problem("confirm_notification", "tick the box to confirm: a notification stays on record"))
    if problems:
        raise InvalidInput("the notification was not recorded", problems)
    values = {
        "recipient": text(form, "recipient", limit=12) or "authority",
        "phase": text(form, "phase", limit=20) or "initial",
        "sent_at": sent_at,
        "reference": text(form, "reference", limit=100) or None,
        "late_reason": text(form, "late_reason", limit=LONG) or None,
    }
    return build(NotificationCreate, values, "the notification was not recorded", {"": "phase"})


def exception(form: dict[str, str]) -> SubjectExceptionCreate:
    confirmed(form, "confirm_exception", "the exception was not recorded")
    values = {
        "exception": text(form, "exception", limit=30),
        "reasoning": text(form, "exception_reasoning", limit=LONG),
        "public_notice": text(form, "public_notice", limit=LONG) or None,
    }
    inputs = {"reasoning": "exception_reasoning", "": "public_notice"}
    return build(SubjectExceptionCreate, values, "the exception was not recorded", inputs)


def customer(form: dict[str, str], organisation_id: int) -> CustomerNotified:
    confirmed(form, f"confirm-{organisation_id}", "the customer was not recorded as told")
    values = {
        "organisation_id": organisation_id,
        "channel": "email" if text(form, f"channel-{organisation_id}") == "email" else "other",
        "reference": text(form, f"reference-{organisation_id}", limit=100) or None,
    }
    inputs = {"reference": f"reference-{organisation_id}", "channel": f"channel-{organisation_id}"}
    return build(CustomerNotified, values, "the customer was not recorded as told", inputs)
