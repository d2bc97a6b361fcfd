"""The clocks of a breach, as pure functions of fixed instants (no database, no `now()` read here).

Art. 33(1): the authority is notified "not later than 72 hours after having become aware of it". This is
counted in hours from `aware_at`: Reg. 1182/71 Art. 3(4) moves only periods expressed in days, weeks, months
or years off a weekend or public holiday, so a period in hours does not roll over. Aware
Thursday 2026-12-24 15:00 UTC (Christmas Eve) → due Sunday 2026-12-27 15:00 UTC, though 25 and 26 December
are Swedish public holidays and the 27th a Sunday.

NIS2 (Directive 2022/2555 Art. 23(4), as implemented in Sweden): an early warning within 24 hours, the incident
notification within 72 hours, and a final report no later than one month after the incident notification.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

AUTHORITY_HOURS = 72
REMINDER_HOURS: tuple[int, ...] = (24, 48, 60)
NIS2_EARLY_WARNING_HOURS = 24
NIS2_NOTIFICATION_HOURS = 72


def authority_deadline(aware_at: datetime) -> datetime:
    """Art. 33(1): exactly 72 hours after awareness, whatever the weekday or holiday."""
    return aware_at + timedelta(hours=AUTHORITY_HOURS)


def remaining(aware_at: datetime, now: datetime) -> timedelta:
    """Time left to the authority deadline; negative once it has passed."""
    return authority_deadline(aware_at) - now


def remaining_hours(aware_at: datetime, now: datetime) -> float:
    return round(remaining(aware_at, now).total_seconds() / 3600, 1)


def is_late(aware_at: datetime, sent_at: datetime) -> bool:
    return sent_at > authority_deadline(aware_at)


@dataclass(frozen=True)
class Reminder:
    hours: int  # hours after awareness: 24, 48 or 60
    due_at: datetime
    deadline: datetime


def reminders(aware_at: datetime) -> list[Reminder]:
    deadline = authority_deadline(aware_at)
    return [Reminder(hours, aware_at + timedelta(hours=hours), deadline) for hours in REMINDER_HOURS]


def due_reminders(aware_at: datetime, now: datetime, sent: set[int] | frozenset[int] = frozenset()) -> list[Reminder]:
    """The reminders that have fallen due by `now` and were not sent yet (the caller skips settled incidents)."""
    return [r for r in reminders(aware_at) if r.due_at <= now and r.hours not in sent]


@dataclass(frozen=True)
class Nis2Deadlines:
    early_warning: datetime
    notification: datetime
    final_report: datetime | None  # known once the incident notification has gone out


def nis2_deadlines(aware_at: datetime, notification_sent_at: datetime | None) -> Nis2Deadlines:
    final = add_month(notification_sent_at) if notification_sent_at is not None else None
    return Nis2Deadlines(
        early_warning=aware_at + timedelta(hours=NIS2_EARLY_WARNING_HOURS),
        notification=aware_at + timedelta(hours=NIS2_NOTIFICATION_HOURS),
        final_report=final,
    )


def add_month(at: datetime) -> datetime:
    """The same time on the same date next month, or on that month's last day if the date does not exist."""
    year, month = (at.year + 1, 1) if at.month == 12 else (at.year, at.month + 1)
    return at.replace(year=year, month=month, day=min(at.day, calendar.monthrange(year, month)[1]))
