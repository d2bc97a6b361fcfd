"""The register of breaches (Art. 33(5)): validation against the policy, the timeline, decisions, notifications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from incident_helpers import OFFICER, OpenIncident
from sqlalchemy import select

from custos.audit.models import AuditEvent
from custos.clock import FixedClock
from custos.errors import Conflict, InvalidInput
from custos.incidents import service
from custos.incidents.models import IncidentEvent
from custos.incidents.schemas import DecisionCreate, IncidentUpdate, NotificationCreate
from custos.runtime import Runtime

AWARE = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # the fixture clock stands at 2026-11-29 10:00 UTC


def _actions(runtime: Runtime) -> list[str]:
    with runtime.db.transaction() as session:
        return list(session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("incident.%"))))


def test_open_validates_against_the_policy_and_derives_environments(open_incident: OpenIncident) -> None:
    incident = open_incident(systems=["crm"], data_categories=["contact.email"], subject_categories=["prospect"])
    assert incident.environments == ["production"]
    assert incident.state == "open"
    assert incident.deadline == incident.aware_at + timedelta(hours=72)
    with pytest.raises(InvalidInput) as caught:
        open_incident(systems=["erp"], environments=["staging"], data_categories=["health"], subject_categories=["x"])
    assert [p.location for p in caught.value.problems] == [
        "systems[0]",
        "environments[0]",
        "data_categories[0]",
        "subject_categories[0]",
    ]


def test_every_change_is_a_timeline_entry_and_an_audit_event(runtime: Runtime, open_incident: OpenIncident) -> None:
    incident = open_incident(aware_at=AWARE)
    with runtime.work(OFFICER) as work:
        service.update_incident(
            work,
            incident.id,
            IncidentUpdate(risk="risk", risk_reasoning="emails could be phished", note="first assessment"),
        )
        service.update_incident(work, incident.id, IncidentUpdate(state="closed", note="done"))
        with pytest.raises(Conflict):
            service.update_incident(work, incident.id, IncidentUpdate(summary="changed later"))
        shown = service.get_incident(work, incident.id)
    assert [e.kind for e in shown.timeline] == ["open", "update", "close"]
    assert shown.timeline[1].changes == {"risk": [None, "risk"], "risk_reasoning": [None, "emails could be phished"]}
    assert shown.timeline[1].note == "first assessment"
    assert _actions(runtime) == ["incident.open", "incident.update", "incident.close"]


def test_a_risk_needs_its_reasoning(open_incident: OpenIncident) -> None:
    with pytest.raises(InvalidInput, match="reasoning"):
        open_incident(risk="high")


def test_not_notifying_needs_reasoning_and_no_risk(runtime: Runtime, open_incident: OpenIncident) -> None:
    incident = open_incident(aware_at=AWARE)
    with pytest.raises(ValueError, match="at least 10"):
        DecisionCreate(decision="not_notify", reasoning="")
    decision = DecisionCreate(decision="not_notify", reasoning="The data was encrypted and the key was not lost.")
    with runtime.work(OFFICER) as work:
        with pytest.raises(InvalidInput, match="risk assessed as none"):
            service.decide(work, incident.id, decision)
        update = IncidentUpdate(risk="none", risk_reasoning="encrypted at rest, key safe")
        service.update_incident(work, incident.id, update)
        decided = service.decide(work, incident.id, decision)
    assert (decided.decision, decided.decision_reasoning) == ("not_notify", decision.reasoning)
    # Reassessing the risk upwards withdraws a decision that rested on "no risk".
    with runtime.work(OFFICER) as work:
        update = IncidentUpdate(risk="risk", risk_reasoning="the key was on the laptop after all")
        again = service.update_incident(work, incident.id, update)
    assert again.decision is None
    assert again.timeline[-1].changes["decision"] == ["not_notify", None]


def test_a_late_notification_needs_the_reason_for_the_delay(
    runtime: Runtime, clock: FixedClock, open_incident: OpenIncident
) -> None:
    incident = open_incident(aware_at=AWARE, risk="risk", risk_reasoning="contact details exposed")
    clock.set(AWARE + timedelta(hours=80))
    with runtime.work(OFFICER) as work:
        with pytest.raises(InvalidInput, match="late") as caught:
            service.record_notification(work, incident.id, NotificationCreate(reference="IMY-1"))
        assert caught.value.problems[0].location == "late_reason"
        sent = service.record_notification(
            work,
            incident.id,
            NotificationCreate(reference="IMY-1", late_reason="The breach was found over a holiday weekend."),
        )
        shown = service.get_incident(work, incident.id)
    assert (sent.late, sent.phase) == (True, "initial")
    assert (shown.authority_notified, shown.decision) == (True, "notify")
    assert shown.remaining_hours == -8.0


def test_on_time_notification_then_supplements(
    runtime: Runtime, clock: FixedClock, open_incident: OpenIncident
) -> None:
    incident = open_incident(aware_at=AWARE)
    sent_at = AWARE + timedelta(hours=71, minutes=59)
    clock.set(AWARE + timedelta(hours=75))
    with runtime.work(OFFICER) as work:
        with pytest.raises(Conflict, match="initial"):
            service.record_notification(work, incident.id, NotificationCreate(phase="supplement"))
        first = service.record_notification(work, incident.id, NotificationCreate(sent_at=sent_at))
        with pytest.raises(Conflict):
            service.record_notification(work, incident.id, NotificationCreate())
        supplement = service.record_notification(work, incident.id, NotificationCreate(phase="supplement"))
        with pytest.raises(InvalidInput, match="future"):
            service.record_notification(
                work,
                incident.id,
                NotificationCreate(phase="supplement", sent_at=clock.now() + timedelta(minutes=1)),
            )
    assert (first.late, supplement.phase, supplement.late) == (False, "supplement", False)


def test_the_timeline_is_never_rewritten(runtime: Runtime, open_incident: OpenIncident) -> None:
    incident = open_incident()
    with runtime.work(OFFICER) as work:
        service.update_incident(work, incident.id, IncidentUpdate(note="called the CTO"))
        ids = list(work.session.scalars(select(IncidentEvent.id).order_by(IncidentEvent.id)))
        service.update_incident(work, incident.id, IncidentUpdate(approx_subjects=12))
        after = list(work.session.scalars(select(IncidentEvent.id).order_by(IncidentEvent.id)))
    assert after[: len(ids)] == ids
    assert len(after) == len(ids) + 1
    assert not hasattr(service, "delete_incident")


def test_reminders_listed_until_settled(runtime: Runtime, clock: FixedClock, open_incident: OpenIncident) -> None:
    incident = open_incident(aware_at=AWARE)  # 49 hours before the fixture clock: 24 h and 48 h are due
    with runtime.work(OFFICER) as work:
        assert [(i, r.hours) for i, r in service.open_reminders(work)] == [
            (incident.id, 24),
            (incident.id, 48),
        ]
        service.mark_reminder_sent(work, incident.id, 24)
        assert [r.hours for _, r in service.open_reminders(work)] == [48]
        service.record_notification(work, incident.id, NotificationCreate())
        assert service.open_reminders(work) == []
