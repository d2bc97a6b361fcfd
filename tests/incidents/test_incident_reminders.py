"""The 24/48/60-hour reminders: the hourly job mails the privacy contact over real SMTP (aiosmtpd), once per
reminder; without an SMTP server it records the reminder on the timeline instead and says why."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from email.message import Message
from typing import Any

from incident_helpers import OFFICER, OpenIncident
from sqlalchemy import select

from custos.audit.models import AuditEvent
from custos.clock import FixedClock
from custos.incidents import reminders, service
from custos.incidents.schemas import DecisionCreate
from custos.jobs.registry import INCIDENT_REMINDERS, default_jobs, hourly
from custos.jobs.scheduler import Scheduler
from custos.runtime import Runtime
from smtp_catch import CaughtMail, free_port

AWARE = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)  # the conftest's clock is 2026-11-29 10:00: 24 h later


def _subject(mail: Message) -> str:
    return " ".join(str(mail["Subject"]).split())  # long headers are folded


def _with_smtp(runtime: Runtime, port: int) -> Runtime:
    settings = replace(runtime.settings, smtp_host="127.0.0.1", smtp_port=port, mail_from="custos@elastx.com")
    return replace(runtime, settings=settings)


def _reminder_events(runtime: Runtime) -> list[tuple[int, str, dict[str, Any]]]:
    with runtime.work(OFFICER) as work:
        incident_events = service.load(work, 1).events
        return [(e.id, e.kind, dict(e.changes)) for e in incident_events if e.kind.startswith("reminder")]


def test_due_reminders_are_mailed_once_each(
    runtime: Runtime, clock: FixedClock, open_incident: OpenIncident, smtp: tuple[CaughtMail, int]
) -> None:
    inbox, port = smtp
    rt = _with_smtp(runtime, port)
    incident = open_incident(aware_at=AWARE, risk="risk", risk_reasoning="names and emails")
    settled = open_incident(aware_at=AWARE, summary="Misdirected email", risk="none", risk_reasoning="one recipient")
    with runtime.work(OFFICER) as work:
        data = DecisionCreate(decision="not_notify", reasoning="one recipient, deleted at once")
        service.decide(work, settled.id, data)

    first = reminders.send_due_reminders(rt)
    assert (first.mailed, first.recorded, first.failed) == ([(incident.id, 24)], [], [])
    (mail,) = inbox.messages
    assert mail["To"] == "privacy@elastx.com"  # the policy's privacy contact
    assert mail["From"] == "custos@elastx.com"  # settings.mail_from
    assert _subject(mail) == (
        f"Incident #{incident.id}: 24 h since awareness, the authority deadline is 2026-12-01 11:00 +01:00"
    )
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "Time left: 48 h 0 min." in body
    assert f"/admin/incidents/{incident.id}" in body

    # Re-runs in the same hour, and a scheduler tick, send nothing twice.
    assert reminders.send_due_reminders(rt).mailed == []
    assert len(inbox.messages) == 1

    clock.set(datetime(2026, 11, 30, 22, 30, tzinfo=UTC))  # 60.5 h: the 48 h and 60 h reminders are both due
    later = reminders.send_due_reminders(rt)
    assert later.mailed == [(incident.id, 48), (incident.id, 60)]
    assert [_subject(m).split(": ")[1] for m in inbox.messages] == [
        "24 h since awareness, the authority deadline is 2026-12-01 11:00 +01:00",
        "48 h since awareness, the authority deadline is 2026-12-01 11:00 +01:00",
        "60 h since awareness, the authority deadline is 2026-12-01 11:00 +01:00",
    ]
    assert "Time left: 11 h 30 min." in inbox.messages[-1].get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert reminders.send_due_reminders(rt).mailed == []
    assert len(inbox.messages) == 3
    with runtime.work(OFFICER) as work:
        assert service.load(work, incident.id).reminders_sent == [24, 48, 60]
        assert service.load(work, settled.id).reminders_sent == []  # decided: no reminders
        audited = [
            e.details for e in work.session.scalars(select(AuditEvent).where(AuditEvent.action == "incident.reminder"))
        ]
    assert [d["hours"] for d in audited] == [24, 48, 60]


def test_the_hourly_job_sends_through_the_scheduler(
    runtime: Runtime, clock: FixedClock, open_incident: OpenIncident, smtp: tuple[CaughtMail, int]
) -> None:
    inbox, port = smtp
    rt = _with_smtp(runtime, port)
    open_incident(aware_at=AWARE)
    job = next(j for j in default_jobs(rt) if j.name == INCIDENT_REMINDERS)
    assert hourly(datetime(2026, 11, 29, 10, 0, tzinfo=UTC)) == datetime(2026, 11, 29, 11, 0, tzinfo=UTC)
    assert hourly(datetime(2026, 11, 29, 10, 59, tzinfo=UTC)) == datetime(2026, 11, 29, 11, 0, tzinfo=UTC)
    scheduler = Scheduler(rt.db, clock, [job], "w")
    assert scheduler.tick() == []  # first due at the next full hour
    clock.set(datetime(2026, 11, 29, 11, 0, tzinfo=UTC))
    assert scheduler.tick() == [INCIDENT_REMINDERS]
    assert len(inbox.messages) == 1
    clock.set(datetime(2026, 11, 29, 12, 0, tzinfo=UTC))
    assert scheduler.tick() == [INCIDENT_REMINDERS]
    assert len(inbox.messages) == 1  # nothing new due: nothing sent twice


def test_without_smtp_the_reminder_is_recorded_on_the_timeline(
    runtime: Runtime, clock: FixedClock, open_incident: OpenIncident
) -> None:
    assert runtime.settings.smtp_host == ""
    incident = open_incident(aware_at=AWARE)
    run = reminders.send_due_reminders(runtime)
    assert (run.mailed, run.recorded) == ([], [(incident.id, 24)])
    assert [(kind, changes) for _, kind, changes in _reminder_events(runtime)] == [
        ("reminder", {"hours": 24}),
        ("reminder_not_mailed", {"hours": 24}),
    ]
    with runtime.work(OFFICER) as work:
        (note,) = [e.note for e in service.load(work, incident.id).events if e.kind == "reminder_not_mailed"]
    assert note is not None
    assert "no SMTP server is configured" in note
    assert reminders.send_due_reminders(runtime).recorded == []  # once
    assert len(_reminder_events(runtime)) == 2


def test_a_refused_mail_is_not_marked_and_is_tried_again(runtime: Runtime, open_incident: OpenIncident) -> None:
    incident = open_incident(aware_at=AWARE)
    rt = _with_smtp(runtime, free_port())  # nothing listens there
    run = reminders.send_due_reminders(rt)
    assert (run.mailed, run.failed) == ([], [(incident.id, 24)])
    with runtime.work(OFFICER) as work:
        assert service.load(work, incident.id).reminders_sent == []
