"""Opening, changing, deciding on and notifying about incidents. HTTP, CLI and jobs all call these.

Every change goes through `timeline.append` (an entry and an audit event in the same transaction) and no
function deletes an incident or an entry: Art. 33(5) asks for a record of every breach, notified or not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from custos.audit.actions import Action
from custos.errors import Conflict, InvalidInput, NotFound, Problem
from custos.incidents import deadlines, notification, scope, timeline
from custos.incidents.models import Incident, IncidentCustomer, IncidentLetter, IncidentNotification
from custos.incidents.schemas import (
    CustomerNotified,
    CustomerPublic,
    DecisionCreate,
    EventPublic,
    IncidentCreate,
    IncidentPublic,
    IncidentSummary,
    IncidentUpdate,
    Nis2Public,
    NotificationCreate,
    NotificationPublic,
    ScopeCount,
    SubjectExceptionCreate,
)
from custos.policy import Policy
from custos.register.models import Organisation
from custos.work import Work

# Fields a PATCH may change, in the order the timeline lists them.
_FACTS = (
    "summary",
    "occurred_at",
    "kinds",
    "systems",
    "environments",
    "data_categories",
    "subject_categories",
    "organisation_ids",
    "approx_subjects",
    "approx_records",
    "consequences",
    "measures_taken",
    "measures_planned",
    "risk",
    "risk_reasoning",
    "nis2",
)


def open_incident(work: Work, data: IncidentCreate) -> IncidentPublic:
    session, policy = work.session, work.policy
    now = work.clock.now()
    aware_at = data.aware_at or now
    if aware_at > now:
        raise InvalidInput("aware_at is in the future", [Problem("aware_at", "after now")])
    environments = data.environments or sorted({policy.system(s).environment for s in data.systems if _has(policy, s)})
    _check_scope(session, policy, data.systems, environments, data.data_categories, data.subject_categories)
    _check_organisations(session, "organisation_ids", data.organisation_ids)
    _check_organisations(session, "customer_ids", data.customer_ids)
    _check_risk(data.risk, data.risk_reasoning)
    incident = Incident(
        occurred_at=data.occurred_at,
        aware_at=aware_at,
        reported_by=data.reported_by,
        recorded_by=work.actor.label,
        summary=data.summary,
        kinds=sorted(set(data.kinds)),
        systems=data.systems,
        environments=environments,
        data_categories=data.data_categories,
        subject_categories=data.subject_categories,
        organisation_ids=data.organisation_ids,
        approx_subjects=data.approx_subjects,
        approx_records=data.approx_records,
        consequences=data.consequences,
        measures_taken=data.measures_taken,
        measures_planned=data.measures_planned,
        risk=data.risk,
        risk_reasoning=data.risk_reasoning,
        role=data.role,
        nis2=data.nis2,
        reminders_sent=[],
        state="open",
        created_at=now,
        updated_at=now,
    )
    session.add(incident)
    session.flush()
    for org_id in sorted(set(data.customer_ids)):
        session.add(IncidentCustomer(incident_id=incident.id, organisation_id=org_id, state="pending"))
    timeline.append(
        work,
        incident,
        "open",
        changes={"aware_at": aware_at, "role": data.role, "risk": data.risk},
        details={"role": data.role, "risk": data.risk, "aware_at": aware_at.isoformat(), "nis2": data.nis2},
    )
    session.flush()
    return to_public(work, _load(session, incident.id))


def get_incident(work: Work, incident_id: int) -> IncidentPublic:
    return to_public(work, _load(work.session, incident_id))


def list_incidents(work: Work, *, state: str | None = None) -> list[IncidentSummary]:
    return summaries(work.session, work.clock.now(), state=state)


def summaries(session: Session, now: datetime, *, state: str | None = None) -> list[IncidentSummary]:
    """The register of breaches, newest first, with each 72-hour clock as of `now` (a check's own instant)."""
    query = select(Incident).options(selectinload(Incident.notifications)).order_by(Incident.aware_at.desc())
    if state is not None:
        query = query.where(Incident.state == state)
    return [_summary(i, now) for i in session.scalars(query)]


def update_incident(work: Work, incident_id: int, data: IncidentUpdate) -> IncidentPublic:
    session, policy, clock = work.session, work.policy, work.clock
    incident = _load(session, incident_id)
    given = data.model_fields_set - {"note"}
    if incident.state == "closed" and given - {"state"}:
        raise Conflict(f"incident {incident_id} is closed; reopen it (state: open) to change its facts")
    changes: dict[str, Any] = {}
    for field in _FACTS:
        if field in given:
            new, old = getattr(data, field), getattr(incident, field)
            if field in ("kinds",) and new is not None:
                new = sorted(set(new))
            if field in ("summary", "kinds", "nis2") and new is None:
                raise InvalidInput(f"{field} cannot be emptied", [Problem(field, "required")])
            if new != old:
                changes[field] = [old, new]
    if "environments" not in given and "systems" in changes:
        derived = sorted({policy.system(s).environment for s in data.systems or [] if _has(policy, s)})
        if derived != incident.environments:
            changes["environments"] = [incident.environments, derived]

    def after(name: str) -> Any:
        return changes[name][1] if name in changes else getattr(incident, name)

    _check_scope(
        session,
        policy,
        after("systems"),
        after("environments"),
        after("data_categories"),
        after("subject_categories"),
    )
    _check_organisations(session, "organisation_ids", after("organisation_ids"))
    _check_risk(after("risk"), after("risk_reasoning"))
    new_customers = _customer_changes(session, incident, data.customer_ids if "customer_ids" in given else None)
    for name, (_, new) in changes.items():
        setattr(incident, name, new)
    if new_customers:
        changes["customer_ids"] = [[c.organisation_id for c in incident.customers], new_customers]
        for org_id in new_customers:
            session.add(IncidentCustomer(incident_id=incident.id, organisation_id=org_id, state="pending"))
    if "risk" in changes and incident.decision == "not_notify" and incident.risk != "none":
        # A decision not to notify rests on "unlikely to result in a risk" (Art. 33(1)); once the risk is
        # reassessed upwards that reasoning no longer holds, so the decision is withdrawn and must be made again.
        changes["decision"] = [incident.decision, None]
        incident.decision, incident.decision_reasoning, incident.decided_at = None, None, None
    state_change = data.state if "state" in given and data.state != incident.state else None
    if not changes and state_change is None:
        if data.note:
            timeline.append(work, incident, "note", note=data.note)
            session.flush()
            return to_public(work, _load(session, incident_id))
        raise InvalidInput("nothing to change", [Problem("body", "no field differs from the incident")])
    if changes:
        timeline.append(work, incident, "update", note=data.note, changes=changes)
    if state_change is not None:
        incident.state = state_change
        incident.closed_at = clock.now() if state_change == "closed" else None
        kind = "close" if state_change == "closed" else "reopen"
        timeline.append(work, incident, kind, note=data.note if not changes else None)
    session.flush()
    return to_public(work, _load(session, incident_id))


def decide(work: Work, incident_id: int, data: DecisionCreate) -> IncidentPublic:
    """Art. 33(1), 33(5): notify the authority, or not, with the reasoning on file."""
    session = work.session
    incident = _load(session, incident_id)
    if data.decision == "not_notify":
        if _authority_notified(incident):
            raise Conflict("the authority has already been notified of this incident")
        # Art. 33(1): only a breach "unlikely to result in a risk to the rights and freedoms of natural
        # persons" may go unnotified, so the risk must have been assessed as none first.
        if incident.risk != "none":
            assessed = incident.risk or "not assessed"
            raise InvalidInput(
                "a decision not to notify needs the risk assessed as none",
                [Problem("risk", f"the risk is {assessed}", hint="assess the risk (PATCH risk, risk_reasoning)")],
            )
    before = incident.decision
    incident.decision, incident.decision_reasoning, incident.decided_at = (
        data.decision,
        data.reasoning,
        work.clock.now(),
    )
    timeline.append(
        work,
        incident,
        "decide",
        note=data.reasoning,
        changes={"decision": [before, data.decision]},
        details={"decision": data.decision},
    )
    session.flush()
    return to_public(work, _load(session, incident_id))


def record_notification(work: Work, incident_id: int, data: NotificationCreate) -> NotificationPublic:
    """Record a notification sent to the authority (or the NIS2 CSIRT), with the document as it was sent."""
    session = work.session
    incident = _load(session, incident_id)
    now = work.clock.now()
    sent_at = data.sent_at or now
    if sent_at > now:
        raise InvalidInput("sent_at is in the future", [Problem("sent_at", "record a notification once sent")])
    if sent_at < incident.aware_at:
        raise InvalidInput("sent_at is before the incident was known", [Problem("sent_at", "before aware_at")])
    previous = [n for n in incident.notifications if n.recipient == data.recipient]
    if data.recipient == "csirt" and not incident.nis2:
        raise InvalidInput("this incident is not on the NIS2 track", [Problem("recipient", "set nis2 first")])
    if data.phase == "initial" and previous:
        raise Conflict("the initial notification is already recorded; record a supplement (Art. 33(4))")
    if data.phase == "supplement" and not previous:
        raise Conflict("record the initial notification before a supplement")
    due = _due(incident, data.phase)
    late = due is not None and sent_at > due
    if late and not data.late_reason:
        # Art. 33(1): "Where the notification ... is not made within 72 hours, it shall be accompanied by
        # reasons for the delay."
        raise InvalidInput(
            "the notification is late; state the reason for the delay (Art. 33(1))",
            [Problem("late_reason", f"sent {sent_at.isoformat()}, due {due.isoformat() if due else ''}")],
        )
    document = notification.build_document(
        incident, work.policy, sent_at, phase=data.phase, late_reason=data.late_reason if late else None
    )
    row = IncidentNotification(
        incident_id=incident.id,
        recipient=data.recipient,
        phase=data.phase,
        sent_at=sent_at,
        reference=data.reference,
        late_reason=data.late_reason if late else None,
        document=document,
        recorded_by=work.actor.label,
        recorded_at=now,
    )
    session.add(row)
    changes: dict[str, Any] = {"recipient": data.recipient, "phase": data.phase, "sent_at": sent_at, "late": late}
    if data.recipient == "authority" and incident.decision != "notify":
        changes["decision"] = [incident.decision, "notify"]
        incident.decision, incident.decided_at = "notify", now
        incident.decision_reasoning = incident.decision_reasoning or "notified the authority"
    session.flush()
    timeline.append(
        work,
        incident,
        "notify",
        note=data.late_reason if late else None,
        changes=changes,
        details={"recipient": data.recipient, "phase": data.phase, "late": late, "notification": row.id},
    )
    session.flush()
    return _notification_public(incident, row)


def record_subject_exception(work: Work, incident_id: int, data: SubjectExceptionCreate) -> IncidentPublic:
    """Art. 34(3): the reason no letters go to the subjects, recorded instead of them."""
    session = work.session
    incident = _load(session, incident_id)
    if session.scalar(select(IncidentLetter.id).where(IncidentLetter.incident_id == incident.id).limit(1)):
        raise Conflict("letters have already been sent to the subjects of this incident")
    before = incident.subject_exception
    incident.subject_exception = data.exception
    incident.subject_exception_reasoning = data.reasoning
    incident.public_notice = data.public_notice
    timeline.append(
        work,
        incident,
        "subject_exception",
        note=data.reasoning,
        changes={"subject_exception": [before, data.exception], "public_notice": data.public_notice},
        details={"exception": data.exception},
    )
    session.flush()
    return to_public(work, _load(session, incident_id))


def record_customer_notified(work: Work, incident_id: int, data: CustomerNotified) -> IncidentPublic:
    """Art. 33(2), 28(3)(f): one affected customer (controller) has been told."""
    session, clock = work.session, work.clock
    incident = _load(session, incident_id)
    row = next((c for c in incident.customers if c.organisation_id == data.organisation_id), None)
    if row is None:
        raise NotFound(f"organisation {data.organisation_id} is not an affected customer of incident {incident_id}")
    if row.state == "notified":
        raise Conflict(f"customer {data.organisation_id} has already been notified")
    sent_at = data.sent_at or clock.now()
    if sent_at > clock.now():
        raise InvalidInput("sent_at is in the future", [Problem("sent_at", "after now")])
    row.state, row.notified_at, row.channel, row.reference = "notified", sent_at, data.channel, data.reference
    timeline.append(
        work,
        incident,
        "customer_notify",
        changes={"organisation_id": data.organisation_id, "sent_at": sent_at, "channel": data.channel},
        details={"organisation": data.organisation_id, "channel": data.channel},
    )
    session.flush()
    return to_public(work, _load(session, incident_id))


def count_scope(work: Work, incident_id: int, *, apply: bool = False) -> ScopeCount:
    """How many people and register records the scope covers; `apply` writes them as the approximate numbers."""
    session = work.session
    incident = _load(session, incident_id)
    counted = scope.count(work, incident)
    if apply:
        changes = {
            name: [getattr(incident, name), value]
            for name, value in (("approx_subjects", counted.subjects), ("approx_records", counted.records))
            if getattr(incident, name) != value
        }
        if changes:
            incident.approx_subjects, incident.approx_records = counted.subjects, counted.records
            timeline.append(work, incident, "update", note="counted from the register", changes=changes)
            session.flush()
    return counted


def document(work: Work, incident_id: int, *, audience: str = "authority", language: str = "en") -> dict[str, Any]:
    """The Art. 33(3) document as of now (the next phase to send), in English or Swedish, audited as generated."""
    session = work.session
    incident = _load(session, incident_id)
    phase = "supplement" if _authority_notified(incident) else "initial"
    customers = None
    if incident.role == "processor":
        customers = [
            {"id": c.organisation_id, "name": _org_name(session, c.organisation_id), "state": c.state}
            for c in incident.customers
        ]
    doc = notification.build_document(
        incident,
        work.policy,
        work.clock.now(),
        phase=phase,
        audience="controller" if audience == "controller" else "authority",
        customers=customers,
        language=language,
    )
    # Generating the document is a read of the incident worth seeing in the log (who prepared what, when).
    work.audit(
        Action.INCIDENT_DOCUMENT,
        target=f"incident:{incident.id}",
        details={"audience": audience, "phase": phase, "language": doc["language"]},
    )
    return doc


def open_reminders(work: Work) -> list[tuple[int, deadlines.Reminder]]:
    """The 24/48/60-hour reminders due now for open incidents the authority has not been told of or decided on.

    The hourly `incident-reminders` job (incidents/reminders.py) mails them and then calls
    `mark_reminder_sent`, so a reminder is sent once.
    """
    now = work.clock.now()
    due: list[tuple[int, deadlines.Reminder]] = []
    query = select(Incident).where(Incident.state == "open", Incident.decision.is_(None))
    for incident in work.session.scalars(query.options(selectinload(Incident.notifications))):
        if _authority_notified(incident):
            continue
        due += [(incident.id, r) for r in deadlines.due_reminders(incident.aware_at, now, set(incident.reminders_sent))]
    return due


def mark_reminder_sent(work: Work, incident_id: int, hours: int) -> None:
    incident = _load(work.session, incident_id)
    if hours in incident.reminders_sent:
        return
    incident.reminders_sent = sorted([*incident.reminders_sent, hours])
    timeline.append(work, incident, "reminder", changes={"hours": hours}, details={"hours": hours})


# -- helpers ----------------------------------------------------------------------------------------------


def load(work: Work, incident_id: int) -> Incident:
    """The incident row with its timeline, notifications and customers, for code that renders or mails from it."""
    return _load(work.session, incident_id)


def _load(session: Session, incident_id: int) -> Incident:
    incident = session.scalar(
        select(Incident)
        .where(Incident.id == incident_id)
        .options(
            selectinload(Incident.events),
            selectinload(Incident.notifications),
            selectinload(Incident.customers),
        )
        .execution_options(populate_existing=True)
    )
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    return incident


def _has(policy: Policy, system_id: str) -> bool:
    return any(s.id == system_id for s in policy.systems)


def _check_scope(
    session: Session,
    policy: Policy,
    systems: list[str],
    environments: list[str],
    data_categories: list[str],
    subject_categories: list[str],
) -> None:
    """Only what the policy declares: a breach of an undeclared system is itself a finding for `policy check`."""
    known = {
        "systems": {s.id for s in policy.systems},
        "environments": {s.environment for s in policy.systems},
        "data_categories": {c.id for c in policy.data_categories},
        "subject_categories": {c.id for c in policy.subject_categories},
    }
    problems = [
        Problem(f"{field}[{i}]", f"{value!r} is not in the policy", hint=f"use one of: {', '.join(sorted(allowed))}")
        for field, values in (
            ("systems", systems),
            ("environments", environments),
            ("data_categories", data_categories),
            ("subject_categories", subject_categories),
        )
        for allowed in (known[field],)
        for i, value in enumerate(values)
        if value not in allowed
    ]
    if problems:
        raise InvalidInput("the incident names things the policy does not declare", problems)


def _check_organisations(session: Session, field: str, ids: list[int]) -> None:
    if not ids:
        return
    found = set(session.scalars(select(Organisation.id).where(Organisation.id.in_(ids))))
    missing = [i for i in ids if i not in found]
    if missing:
        raise InvalidInput(
            "unknown organisations", [Problem(f"{field}", f"no organisation {i} in the register") for i in missing]
        )


def _check_risk(risk: str | None, reasoning: str | None) -> None:
    # Art. 33(5): the documentation must let the authority verify compliance, so an assessment carries its reasons.
    if risk is not None and not reasoning:
        raise InvalidInput("a risk assessment needs its reasoning", [Problem("risk_reasoning", "required with risk")])


def _customer_changes(session: Session, incident: Incident, wanted: list[int] | None) -> list[int]:
    if wanted is None:
        return []
    if incident.role != "processor":
        raise InvalidInput("customer_ids are for incidents where we act as processor", [Problem("customer_ids", "")])
    current = {c.organisation_id for c in incident.customers}
    if current - set(wanted):
        # The register of breaches is append-only: a customer once recorded as affected stays on record;
        # a mistake is corrected with a note, not by erasing the line.
        raise InvalidInput("affected customers cannot be removed", [Problem("customer_ids", "add a note instead")])
    added = sorted(set(wanted) - current)
    _check_organisations(session, "customer_ids", added)
    return added


def _authority_notified(incident: Incident) -> bool:
    return any(n.recipient == "authority" for n in incident.notifications)


def _due(incident: Incident, phase: str) -> datetime | None:
    if phase == "initial":
        return deadlines.authority_deadline(incident.aware_at)
    if phase in ("early_warning", "notification", "final"):
        sent = next((n.sent_at for n in incident.notifications if n.phase == "notification"), None)
        nis2 = deadlines.nis2_deadlines(incident.aware_at, sent)
        return {"early_warning": nis2.early_warning, "notification": nis2.notification}.get(phase, nis2.final_report)
    return None  # a supplement follows "without undue further delay" (Art. 33(4)): no fixed hour


def _org_name(session: Session, org_id: int) -> str:
    return session.scalar(select(Organisation.name).where(Organisation.id == org_id)) or f"organisation {org_id}"


def _summary(incident: Incident, now: datetime) -> IncidentSummary:
    return IncidentSummary(
        id=incident.id,
        summary=incident.summary,
        state=incident.state,
        risk=incident.risk,
        role=incident.role,
        aware_at=incident.aware_at,
        deadline=deadlines.authority_deadline(incident.aware_at),
        remaining_hours=deadlines.remaining_hours(incident.aware_at, now),
        authority_notified=_authority_notified(incident),
        decision=incident.decision,
    )


def _notification_public(incident: Incident, row: IncidentNotification) -> NotificationPublic:
    return NotificationPublic(
        id=row.id,
        recipient=row.recipient,
        phase=row.phase,
        sent_at=row.sent_at,
        reference=row.reference,
        late=row.late_reason is not None,
        late_reason=row.late_reason,
        recorded_by=row.recorded_by,
    )


def to_public(work: Work, incident: Incident) -> IncidentPublic:
    session = work.session
    rows = session.execute(
        select(IncidentLetter.state, func.count())
        .where(IncidentLetter.incident_id == incident.id)
        .group_by(IncidentLetter.state)
    )
    letters = {str(state): int(n) for state, n in rows}
    nis2 = None
    if incident.nis2:
        sent = next((n.sent_at for n in incident.notifications if n.phase == "notification"), None)
        d = deadlines.nis2_deadlines(incident.aware_at, sent)
        nis2 = Nis2Public(
            early_warning_due=d.early_warning, notification_due=d.notification, final_report_due=d.final_report
        )
    return IncidentPublic(
        **_summary(incident, work.clock.now()).model_dump(),
        occurred_at=incident.occurred_at,
        reported_by=incident.reported_by,
        recorded_by=incident.recorded_by,
        kinds=incident.kinds,
        systems=incident.systems,
        environments=incident.environments,
        data_categories=incident.data_categories,
        subject_categories=incident.subject_categories,
        organisation_ids=incident.organisation_ids,
        approx_subjects=incident.approx_subjects,
        approx_records=incident.approx_records,
        consequences=incident.consequences,
        measures_taken=incident.measures_taken,
        measures_planned=incident.measures_planned,
        risk_reasoning=incident.risk_reasoning,
        decision_reasoning=incident.decision_reasoning,
        decided_at=incident.decided_at,
        subject_exception=incident.subject_exception,
        subject_exception_reasoning=incident.subject_exception_reasoning,
        public_notice=incident.public_notice,
        letters=letters,
        nis2=nis2,
        created_at=incident.created_at,
        updated_at=incident.updated_at,
        closed_at=incident.closed_at,
        notifications=[_notification_public(incident, n) for n in incident.notifications],
        customers=[
            CustomerPublic(
                organisation_id=c.organisation_id,
                organisation_name=_org_name(session, c.organisation_id),
                state=c.state,
                notified_at=c.notified_at,
                channel=c.channel,
                reference=c.reference,
            )
            for c in incident.customers
        ],
        timeline=[
            EventPublic(at=e.at, actor=e.actor, kind=e.kind, note=e.note, changes=e.changes) for e in incident.events
        ],
    )
