"""The 24/48/60-hour reminders of the 72-hour clock (Art. 33(1)): found, mailed to the privacy contact, marked.

An hourly job (`incident-reminders` in `custos.jobs.registry`) calls `send_due_reminders`. Each reminder is
handled in its own unit of work: mailed, then marked sent with `service.mark_reminder_sent` (a timeline entry
and an audit event), so a re-run finds nothing left to send. A mail that fails is not marked and is tried
again on the next run; a crash between the server accepting the mail and the commit can repeat that one
reminder (at least once, never silently dropped).

Without an SMTP server (`smtp_host` empty) nothing is mailed: the reminder is recorded on the incident's
timeline with a note saying it was not mailed and why, where the admin page shows it beside the countdown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from custos.actor import Actor
from custos.incidents import deadlines, service, timeline
from custos.jurisdiction import format_in
from custos.mail import Mailer, Message, mailer_for
from custos.mail.sender import MailError
from custos.runtime import Runtime

JOB_NAME = "incident-reminders"
NOT_MAILED = "reminder_not_mailed"

log = logging.getLogger("custos.incidents")


@dataclass
class ReminderRun:
    mailed: list[tuple[int, int]] = field(default_factory=list)  # (incident id, hours)
    recorded: list[tuple[int, int]] = field(default_factory=list)  # no SMTP: on the timeline only
    failed: list[tuple[int, int]] = field(default_factory=list)  # the server refused; tried again next run


_SUBJECT = {
    "en": "Incident #{id}: {hours} h since awareness, the authority deadline is {deadline}",
    "sv": "Incident #{id}: {hours} h sedan upptäckten, tidsfristen mot myndigheten går ut {deadline}",
}
_BODY = {
    "en": (
        "Personal data breach #{id} was discovered {aware} ({hours} hours ago).\n\n"
        "The supervisory authority must be notified no later than {deadline} (Art. 33(1) GDPR: 72 hours,\n"
        "counted in hours), unless you record a decision not to notify with its reasoning.\n"
        "Time left: {left}.\n\n"
        "Open the incident: {url}\n\n"
        "This reminder is sent at 24, 48 and 60 hours until the authority has been notified or a decision\n"
        "has been recorded.\n"
    ),
    "sv": (
        "Personuppgiftsincident #{id} upptäcktes {aware} (för {hours} timmar sedan).\n\n"
        "Tillsynsmyndigheten ska underrättas senast {deadline} (art. 33.1 GDPR: 72 timmar, räknat i timmar),\n"
        "om inte ett beslut att inte anmäla registreras med motivering.\n"
        "Tid kvar: {left}.\n\n"
        "Öppna incidenten: {url}\n\n"
        "Påminnelsen skickas efter 24, 48 och 60 timmar tills myndigheten har underrättats eller ett beslut\n"
        "har registrerats.\n"
    ),
}


def _stamp(value: datetime, zone: ZoneInfo) -> str:
    """On the organisation's clock with the offset: a deadline read an hour off is a late notice (Art. 33(1))."""
    return format_in(value, zone)


def _left(deadline: datetime, now: datetime) -> str:
    minutes = int((deadline - now).total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes > 0 else "0 h"


def reminder_message(
    to: str,
    incident_id: int,
    reminder: deadlines.Reminder,
    aware_at: datetime,
    now: datetime,
    base_url: str,
    language: str,
    zone: ZoneInfo,
) -> Message:
    lang = language if language in _SUBJECT else "en"
    values = {
        "id": incident_id,
        "hours": reminder.hours,
        "deadline": _stamp(reminder.deadline, zone),
        "aware": _stamp(aware_at, zone),
        "left": _left(reminder.deadline, now),
        "url": f"{base_url.rstrip('/')}/admin/incidents/{incident_id}",
    }
    return Message(to=to, subject=_SUBJECT[lang].format(**values), body=_BODY[lang].format(**values), language=lang)


def send_due_reminders(runtime: Runtime, mailer: Mailer | None = None) -> ReminderRun:
    """Mail (or, without SMTP, record) every reminder due now; each one once."""
    settings, policy = runtime.settings, runtime.policy
    actor = Actor.system(JOB_NAME)
    privacy = str(policy.organisation.contacts.privacy)
    if mailer is None and settings.smtp_host:
        mailer = mailer_for(settings, privacy)
    with runtime.work(actor) as work:
        due = service.open_reminders(work)
    outcome = ReminderRun()
    for incident_id, reminder in due:
        with runtime.work(actor) as work:
            incident = service.load(work, incident_id)
            if reminder.hours in incident.reminders_sent:  # another worker got there first
                continue
            if mailer is not None:
                message = reminder_message(
                    privacy,
                    incident_id,
                    reminder,
                    incident.aware_at,
                    work.clock.now(),
                    settings.base_url,
                    settings.language,
                    policy.jurisdiction.zone,
                )
                try:
                    mailer.send(message)
                except MailError as exc:
                    log.warning(
                        "incident %s: the %s h reminder was not accepted (%s)", incident_id, reminder.hours, exc
                    )
                    outcome.failed.append((incident_id, reminder.hours))
                    continue
                service.mark_reminder_sent(work, incident_id, reminder.hours)
                outcome.mailed.append((incident_id, reminder.hours))
            else:
                service.mark_reminder_sent(work, incident_id, reminder.hours)
                timeline.append(
                    work,
                    service.load(work, incident_id),
                    NOT_MAILED,
                    note=(
                        f"The {reminder.hours} h reminder was not mailed: no SMTP server is configured (smtp_host). "
                        f"The authority deadline is {_stamp(reminder.deadline, policy.jurisdiction.zone)}."
                    ),
                    changes={"hours": reminder.hours},
                    details={"hours": reminder.hours, "reason": "no smtp_host"},
                )
                log.warning(
                    "incident %s: %s h reminder recorded on the timeline only (no smtp_host)",
                    incident_id,
                    reminder.hours,
                )
                outcome.recorded.append((incident_id, reminder.hours))
    return outcome
