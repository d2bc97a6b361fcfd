"""Due dates of data subject requests (Art. 12(3), Reg. 1182/71 Art. 3) on many fixed dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from custos.errors import InvalidInput
from custos.requests.deadlines import (
    days_left,
    due_date,
    due_end,
    extended_due_date,
    extension_due_date,
    is_overdue,
    reminder_dates,
    working_day,
)

TZ = ZoneInfo("Europe/Stockholm")


def at(day: str, clock: str = "10:00") -> datetime:
    """A time of receipt in UTC."""
    return datetime.fromisoformat(f"{day}T{clock}+00:00").astimezone(UTC)


@pytest.mark.parametrize(
    ("received", "due", "why"),
    [
        ("2024-03-25", "2024-04-25", "the example of REQUIREMENTS.md: same date next month"),
        ("2026-11-02", "2026-12-02", "an ordinary Monday to Wednesday"),
        ("2025-01-31", "2025-02-28", "no 31 February: the last day of February"),
        ("2024-01-31", "2024-02-29", "leap year: 29 February"),
        ("2024-01-30", "2024-02-29", "no 30 February in a leap year either"),
        ("2023-01-29", "2023-02-28", "no 29 February in 2023"),
        ("2028-01-29", "2028-02-29", "29 February exists in 2028 (a Tuesday)"),
        ("2026-03-31", "2026-04-30", "no 31 April"),
        ("2026-05-31", "2026-06-30", "no 31 June"),
        ("2026-08-31", "2026-09-30", "no 31 September"),
        ("2026-12-15", "2027-01-15", "across the new year"),
        ("2026-01-14", "2026-02-16", "ends on a Saturday: the Monday after"),
        ("2026-01-15", "2026-02-16", "ends on a Sunday: the Monday after"),
        ("2026-01-10", "2026-02-10", "received on a Saturday: counts like any day"),
        ("2026-11-24", "2026-12-28", "julafton, Christmas Day, Saturday, Sunday: the Monday after"),
        ("2026-11-25", "2026-12-28", "Christmas Day, then a weekend"),
        ("2026-11-30", "2026-12-30", "30 December is a working day"),
        ("2026-12-01", "2027-01-04", "nyårsafton, New Year's Day, weekend"),
        ("2026-12-06", "2027-01-07", "Epiphany (Wednesday 6 January): the Thursday"),
        ("2026-03-03", "2026-04-07", "Good Friday, Easter weekend and Easter Monday"),
        ("2026-03-06", "2026-04-07", "Easter Monday"),
        ("2026-04-01", "2026-05-04", "May Day on a Friday"),
        ("2026-04-14", "2026-05-15", "Ascension Day; the Friday after is a working day"),
        ("2025-05-06", "2025-06-09", "National Day on a Friday, then the weekend (Whitsunday)"),
        ("2025-05-20", "2025-06-23", "midsommarafton, midsommardagen, Sunday"),
        ("2026-05-19", "2026-06-22", "midsommarafton 2026"),
        ("2026-09-30", "2026-10-30", "the Friday before All Saints' Day (a Saturday)"),
        ("2026-10-31", "2026-11-30", "received on All Saints' Day"),
    ],
)
def test_one_month_from_receipt(received: str, due: str, why: str) -> None:
    assert due_date(at(received), tz=TZ) == date.fromisoformat(due), why


@pytest.mark.parametrize(
    ("received_utc", "due", "why"),
    [
        ("2026-10-09T21:59", "2026-11-09", "23:59 on Friday in Stockholm (summer time): received on the Friday"),
        ("2026-10-09T22:30", "2026-11-10", "00:30 on Saturday in Stockholm though still Friday in UTC"),
        ("2026-01-16T22:30", "2026-02-16", "23:30 on Friday in Stockholm (winter time)"),
        ("2026-01-16T23:30", "2026-02-17", "00:30 on Saturday in Stockholm"),
    ],
)
def test_the_day_of_receipt_is_the_day_in_stockholm(received_utc: str, due: str, why: str) -> None:
    received = datetime.fromisoformat(received_utc + "+00:00")
    assert due_date(received, tz=TZ) == date.fromisoformat(due), why
    assert due_date(received, tz=ZoneInfo("UTC")) == due_date(at(received_utc[:10]), tz=ZoneInfo("UTC"))


def test_a_time_of_receipt_without_a_time_zone_is_refused() -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        due_date(datetime(2026, 11, 2, 10, 0), tz=TZ)


D = date.fromisoformat


@pytest.mark.parametrize(
    ("paused", "due", "why"),
    [
        ((), "2024-04-25", "no pause"),
        (((D("2024-03-26"), D("2024-03-29")),), "2024-04-29", "three days: Sunday 28 April, so Monday"),
        (((D("2024-03-26"), D("2024-03-27")),), "2024-04-26", "one day"),
        (((D("2024-03-26"), D("2024-03-26")),), "2024-04-25", "asked and answered the same day: no day lost"),
        (
            ((D("2024-03-26"), D("2024-03-29")), (D("2024-03-28"), D("2024-03-30"))),
            "2024-04-29",
            "overlapping pauses count once: four days, Monday 29 April",
        ),
        (
            ((D("2024-03-26"), D("2024-03-27")), (D("2024-04-02"), D("2024-04-03"))),
            "2024-04-29",
            "two separate pauses of a day each: Saturday 27 April, so Monday",
        ),
        (((D("2024-03-20"), D("2024-03-27")),), "2024-04-26", "days before receipt do not count"),
        (
            ((datetime(2024, 3, 26, 8, tzinfo=UTC), datetime(2024, 3, 28, 9, tzinfo=UTC)),),
            "2024-04-29",
            "given as instants: two local days, Saturday 27 April, so Monday",
        ),
    ],
)
def test_verification_pauses_the_clock(paused: tuple[tuple[date, date], ...], due: str, why: str) -> None:
    assert due_date(at("2024-03-25"), tz=TZ, paused=paused) == D(due), why


def test_a_pause_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidInput, match="ends before it starts") as caught:
        due_date(at("2024-03-25"), tz=TZ, paused=((D("2024-03-28"), D("2024-03-26")),))
    assert caught.value.problems[0].location == "paused[0]"


@pytest.mark.parametrize(
    ("received", "months", "due", "why"),
    [
        ("2024-03-25", 2, "2024-06-25", "three months from receipt in all"),
        ("2024-03-25", 1, "2024-05-27", "one further month: Saturday 25 May, so Monday"),
        ("2025-11-30", 2, "2026-03-02", "no 30 February: Saturday 28 February, so Monday"),
        ("2023-11-30", 2, "2024-02-29", "leap year"),
        ("2026-09-24", 2, "2026-12-28", "julafton and Christmas"),
    ],
)
def test_extension_by_further_months(received: str, months: int, due: str, why: str) -> None:
    assert extended_due_date(at(received), tz=TZ, months=months) == D(due), why


@pytest.mark.parametrize("months", [0, 3, -1, 12])
def test_an_extension_is_never_beyond_two_further_months(months: int) -> None:
    with pytest.raises(InvalidInput, match="one or two further months"):
        extended_due_date(at("2024-03-25"), tz=TZ, months=months)


def test_an_extension_needs_a_reason_and_a_notice_within_the_first_month() -> None:
    received = at("2024-03-25")
    on_last_evening = datetime(2024, 4, 25, 21, 30, tzinfo=UTC)  # 23:30 in Stockholm on the due date
    assert extension_due_date(
        received, tz=TZ, months=2, reason="Many systems to search", notified_at=on_last_evening
    ) == D("2024-06-25")
    with pytest.raises(InvalidInput) as late:
        extension_due_date(
            received, tz=TZ, months=2, reason="Many systems", notified_at=datetime(2024, 4, 25, 22, 30, tzinfo=UTC)
        )
    assert [p.location for p in late.value.problems] == ["notified_at"]
    assert "2024-04-25" in late.value.problems[0].message
    with pytest.raises(InvalidInput) as no_reason:
        extension_due_date(received, tz=TZ, months=1, reason="  ", notified_at=at("2024-04-01"))
    assert [p.location for p in no_reason.value.problems] == ["reason"]


def test_a_pause_also_moves_the_last_day_to_announce_an_extension() -> None:
    paused = ((D("2024-03-26"), D("2024-03-29")),)
    assert extension_due_date(
        at("2024-03-25"), tz=TZ, months=2, reason="Complex", notified_at=at("2024-04-29"), paused=paused
    ) == D("2024-06-28")


@pytest.mark.parametrize(
    ("day", "working", "why"),
    [
        ("2026-11-30", True, "a Monday"),
        ("2026-11-28", False, "a Saturday"),
        ("2026-11-29", False, "a Sunday"),
        ("2026-06-19", False, "midsommarafton (lag 1930:173 2 §)"),
        ("2026-06-18", True, "the day before midsommarafton"),
        ("2026-12-24", False, "julafton"),
        ("2026-12-31", False, "nyårsafton"),
        ("2025-06-06", False, "National Day on a Friday"),
        ("2026-04-03", False, "Good Friday"),
        ("2026-04-06", False, "Easter Monday"),
        ("2026-04-02", True, "Maundy Thursday is a working day"),
        ("2026-05-15", True, "the Friday after Ascension is a working day"),
        ("2026-04-30", True, "Walpurgis Night is a working day"),
        ("2026-01-05", True, "Twelfth Night is a working day"),
        ("2026-01-06", False, "Epiphany"),
        ("2026-05-14", False, "Ascension Day"),
        ("2024-12-26", False, "Boxing Day on a Thursday"),
    ],
)
def test_working_days(day: str, working: bool, why: str) -> None:
    assert working_day(D(day)) is working, why


def test_days_left_reminders_and_overdue() -> None:
    due = D("2026-12-02")
    assert [days_left(due, D(d)) for d in ("2026-11-29", "2026-12-02", "2026-12-03")] == [3, 0, -1]
    assert reminder_dates(due) == (D("2026-11-25"), D("2026-12-01"))
    assert due_end(due, TZ) == datetime(2026, 12, 2, 23, 0, tzinfo=UTC)
    assert not is_overdue(due, datetime(2026, 12, 2, 22, 59, tzinfo=UTC), TZ)  # 23:59 in Stockholm
    assert is_overdue(due, datetime(2026, 12, 2, 23, 0, tzinfo=UTC), TZ)
