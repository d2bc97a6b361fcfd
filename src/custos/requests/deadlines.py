"""When a data subject request must be answered, as pure functions of fixed dates (no `now()` read here).

The rule:

- Art. 12(3) GDPR: the controller answers "without undue delay and in any event within one month of receipt".
- Reg. (EEC, Euratom) 1182/71 Art. 3(1) second subparagraph: the day of receipt is not counted; Art. 3(2)(c):
  a period in months ends with the last hour of the day in the last month that has the same date as the day
  of receipt, or, when that month has no such date, of its last day. Received 2024-03-25 → due 2024-04-25;
  received 2025-01-31 → due 2025-02-28 (2024-01-31 → 2024-02-29 in a leap year).
- Art. 3(4): when the last day is a Saturday, Sunday or public holiday, the period ends with the last hour of
  the following working day. Art. 2(1) leaves the public holidays to the Member State: they are the
  organisation's own (`policy.jurisdiction`: the `holidays` package by country and subdivision, plus the days
  that country's law counts as holidays for time limits, e.g. Sweden's midsommarafton, julafton and nyårsafton
  under lag (1930:173) om beräkning av lagstadgad tid 2 §; see `custos.jurisdiction.COUNTRIES`).
- The date of receipt is the date where the organisation is (its zone, `jurisdiction.zone`): a form sent on
  Friday at 23:30 UTC in winter arrived on Saturday in Central Europe, on Friday in Dublin (Art. 12(3);
  EDPB GL 01/2022 on the clock starting on arrival through any official channel).
- ⚠ Time spent waiting for the subject to confirm their identity pauses the clock (EDPB GL 01/2022, Art. 12(6)).
  A pause is a half-open span of dates [asked, answered): its days are added to the month, overlapping pauses
  count once, and days before the receipt do not count.
- Art. 12(3): the period "may be extended by two further months where necessary": at most three months from
  receipt in all, only with a reason, and only when the subject is told within the first month.

Reminders to the assignee fall 7 days and 1 day before the due date (calendar days).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from custos.errors import InvalidInput, Problem
from custos.jurisdiction import Jurisdiction

MAX_EXTENSION_MONTHS = 2
REMINDER_DAYS: tuple[int, int] = (7, 1)

# (start, end) as dates, or as aware datetimes (a datetime is a date too); see `paused_days`.
Pause = tuple[date, date]


def receipt_date(received: datetime, where: Jurisdiction) -> date:
    """The calendar date of arrival where the organisation is."""
    if received.tzinfo is None:
        raise InvalidInput("the time a request was received must carry a time zone (e.g. UTC)")
    return where.local_date(received)


def add_months(start: date, months: int) -> date:
    """Reg. 1182/71 Art. 3(2)(c): the same date `months` later, or the last day of that month."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def paused_days(paused: Sequence[Pause], received_on: date, where: Jurisdiction) -> int:
    """Days the clock stood still: the union of the spans [start, end), counted from the day after receipt.

    A span may be given as dates or as aware datetimes (taken as their local dates where the organisation is).
    """
    spans: list[Pause] = []
    for index, pair in enumerate(paused):
        start, end = (_local_day(value, where) for value in pair)
        if end < start:
            raise InvalidInput(
                "a pause of a request's deadline ends before it starts",
                [Problem(location=f"paused[{index}]", message=f"{start} to {end}", hint="give (start, end)")],
            )
        first = max(start, received_on + timedelta(days=1))
        if end > first:
            spans.append((first, end))
    total, reached = 0, date.min
    for start, end in sorted(spans):
        start = max(start, reached)
        if end > start:
            total += (end - start).days
            reached = end
    return total


def due_date(received: datetime, *, where: Jurisdiction, paused: Sequence[Pause] = ()) -> date:
    """The last day to answer (Art. 12(3)): one month from receipt, plus pauses, moved off a closed day."""
    return _due(received, where=where, months=1, paused=paused)


def extended_due_date(received: datetime, *, where: Jurisdiction, months: int, paused: Sequence[Pause] = ()) -> date:
    """The last day after an extension by `months` (1 or 2) further months (Art. 12(3))."""
    if not 1 <= months <= MAX_EXTENSION_MONTHS:
        raise InvalidInput(
            f"an extension is one or two further months (GDPR Art. 12(3)), not {months}",
            [Problem(location="months", message=f"{months} is not 1 or 2")],
        )
    return _due(received, where=where, months=1 + months, paused=paused)


def extension_due_date(
    received: datetime,
    *,
    where: Jurisdiction,
    months: int,
    reason: str,
    notified_at: datetime,
    paused: Sequence[Pause] = (),
) -> date:
    """The new due date of an extension that the law allows; otherwise InvalidInput saying what is missing.

    Art. 12(3): the subject is told of the extension, with the reasons, within one month of receipt; a notice
    after the first due date comes too late and the extension is refused.
    """
    problems: list[Problem] = []
    if not reason.strip():
        problems.append(Problem(location="reason", message="an extension needs a written reason (GDPR Art. 12(3))"))
    first = due_date(received, where=where, paused=paused)
    if notified_at.tzinfo is None:
        problems.append(Problem(location="notified_at", message="the time of the notice must carry a time zone"))
    elif where.local_date(notified_at) > first:
        problems.append(
            Problem(
                location="notified_at",
                message=f"the notice of an extension must go out by the first due date, {first}",
                hint="an extension can no longer be made; answer the request now",
            )
        )
    if problems:
        raise InvalidInput("the deadline cannot be extended", problems)
    return extended_due_date(received, where=where, months=months, paused=paused)


def days_left(due: date, today: date) -> int:
    """Calendar days until the due date: 0 on the day itself, negative once it has passed."""
    return (due - today).days


def is_overdue(due: date, now: datetime, where: Jurisdiction) -> bool:
    """True once the due date has ended where the organisation is (the period runs to the day's last hour)."""
    return now >= due_end(due, where)


def due_end(due: date, where: Jurisdiction) -> datetime:
    """The instant the due date ends: midnight after it, local time."""
    return where.day_end(due)


def reminder_dates(due: date) -> tuple[date, date]:
    """The days the assignee is reminded: 7 days and 1 day before the due date."""
    early, late = REMINDER_DAYS
    return due - timedelta(days=early), due - timedelta(days=late)


def _due(received: datetime, *, where: Jurisdiction, months: int, paused: Sequence[Pause]) -> date:
    received_on = receipt_date(received, where)
    end = add_months(received_on, months) + timedelta(days=paused_days(paused, received_on, where))
    return where.next_working_day(end)


def _local_day(value: date, where: Jurisdiction) -> date:
    if isinstance(value, datetime):
        return receipt_date(value, where)
    return value
