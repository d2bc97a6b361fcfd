"""Reminders to the assignee 7 days and 1 day before a request's due date, and one notice once it is overdue;
each one is sent once.

A request without an assignee is reminded to the privacy contact instead, so no deadline passes unseen.
The reminder day is marked on the case in the same transaction as its event, before the mail goes out:
a failed mail is logged in the history and retried by nobody, which is the better failure for a reminder
than two of them (the queue shows the days left anyway).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from custos.access.models import Staff
from custos.actor import Actor
from custos.mail import Mailer, Message
from custos.requests import cases, deadlines
from custos.requests.models import SubjectRequest
from custos.requests.states import OPEN
from custos.runtime import Runtime

log = logging.getLogger("custos.requests")

JOB_NAME = "request-reminders"


@dataclass
class ReminderRun:
    sent: list[tuple[str, int]] = field(default_factory=list)
    failed: list[tuple[str, int]] = field(default_factory=list)


OVERDUE = 0  # marks the one overdue notice in `reminders_sent`


def due_reminders(req: SubjectRequest, today: date) -> list[int]:
    """The reminder due today: 7 or 1 (days before the deadline), or OVERDUE once it has passed; each once."""
    due = cases.current_due(req)
    if today > due:
        return [] if OVERDUE in req.reminders_sent else [OVERDUE]
    found = []
    for days, day in zip(deadlines.REMINDER_DAYS, deadlines.reminder_dates(due), strict=True):
        if day <= today <= due and days not in req.reminders_sent:
            found.append(days)
    return found[-1:]  # a request taken in late gets only the nearest reminder, not both at once


def send_due_reminders(runtime: Runtime, mailer: Mailer | None = None) -> ReminderRun:
    from custos.requests.answers import mailer as default_mailer
    from custos.requests.letters import render_letter

    actor = Actor.system(JOB_NAME)
    today = cases.today_local(runtime.clock, runtime.policy.jurisdiction)
    run = ReminderRun()
    with runtime.work(actor) as work:
        refs = list(work.session.scalars(select(SubjectRequest.ref).where(SubjectRequest.state.in_(OPEN))))
    for ref in refs:
        with runtime.work(actor) as work:
            session = work.session
            req = cases.load(session, ref, lock=True)
            wanted = due_reminders(req, today)
            if not wanted:
                continue
            days = wanted[0]
            req.reminders_sent = [*req.reminders_sent, days]
            cases.add_event(work, req, "reminder", details={"days": days})
            staff = session.get(Staff, req.assignee_id) if req.assignee_id else None
            to = staff.email if staff is not None else str(runtime.policy.organisation.contacts.privacy)
            message: Message = render_letter(
                "overdue" if days == OVERDUE else "reminder",
                runtime.settings.language,
                to=to,
                policy=runtime.policy,
                ref=ref,
                kind=req.kind,
                received_on=cases.local_day(req.received_at, runtime.policy.jurisdiction),
                due_on=cases.current_due(req),
                days_left=deadlines.days_left(cases.current_due(req), today),
                request_url=f"{runtime.settings.base_url}/admin/requests/{ref}",
            )
        try:
            (mailer or default_mailer(runtime)).send(message)
            run.sent.append((ref, days))
        except Exception as exc:  # logged; the queue still shows the days left
            log.warning("request %s: the %s-day reminder failed (%s)", ref, days, type(exc).__name__)
            run.failed.append((ref, days))
    return run
