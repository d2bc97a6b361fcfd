"""Due dates of data subject requests (Art. 12(3), Reg. 1182/71 Art. 3) on many fixed dates.

The rules that are the same everywhere run for both example policies (Sweden, Ireland); each country's own
holidays and time zone have fixed-date cases of their own, and the holidays come from the policy file.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.errors import InvalidInput
from custos.jurisdiction import Jurisdiction
from custos.requests.deadlines import (
    add_months,
    days_left,
    due_date,
    due_end,
    extended_due_date,
    extension_due_date,
    is_overdue,
    reminder_dates,
)
from example_policies import EXAMPLES, jurisdiction_of

SWEDEN = jurisdiction_of("elastx")
IRELAND = jurisdiction_of("corrib")
# The same rules, whichever example policy runs: the parametrised tests below take each in turn.
EVERYWHERE = pytest.mark.parametrize("where", [jurisdiction_of(name) for name in EXAMPLES], ids=list(EXAMPLES))


def at(day: str, clock: str = "10:00") -> datetime:
    """A time of receipt in UTC."""
    return datetime.fromisoformat(f"{day}T{clock}+00:00").astimezone(UTC)


@EVERYWHERE
@pytest.mark.parametrize(
    ("received", "due", "why"),
    [
        ("2024-03-25", "2024-04-25", "Reg. 1182/71 Art. 3(2)(c): same date next month"),
        ("2026-11-02", "2026-12-02", "an ordinary Monday to Wednesday"),
        ("2025-01-31", "2025-02-28", "no 31 February: the last day of February"),
        ("2024-01-31", "2024-02-29", "leap year: 29 February"),
        ("2024-01-30", "2024-02-29", "no 30 February in a leap year either"),
        ("2023-01-29", "2023-02-28", "no 29 February in 2023"),
        ("2028-01-29", "2028-02-29", "29 February exists in 2028 (a Tuesday)"),
        ("2026-03-31", "2026-04-30", "no 31 April"),
        ("2026-08-31", "2026-09-30", "no 31 September"),
        ("2026-12-15", "2027-01-15", "across the new year"),
        ("2026-01-14", "2026-02-16", "ends on a Saturday: the Monday after"),
        ("2026-01-15", "2026-02-16", "ends on a Sunday: the Monday after"),
        ("2026-01-10", "2026-02-10", "received on a Saturday: counts like any day"),
        ("2026-11-25", "2026-12-28", "Christmas Day, then a weekend"),
        ("2026-11-30", "2026-12-30", "30 December is a working day"),
        ("2026-12-01", "2027-01-04", "New Year's Day, then a weekend"),
        ("2026-03-06", "2026-04-07", "Easter Monday"),
    ],
)
def test_one_month_from_receipt(where: Jurisdiction, received: str, due: str, why: str) -> None:
    assert due_date(at(received), where=where) == date.fromisoformat(due), why


@pytest.mark.parametrize(
    ("received", "due", "why"),
    [
        ("2026-05-31", "2026-06-30", "no 31 June"),
        ("2026-11-24", "2026-12-28", "julafton, Christmas Day, Saturday, Sunday: the Monday after"),
        ("2026-12-06", "2027-01-07", "Epiphany (Wednesday 6 January): the Thursday"),
        ("2026-03-03", "2026-04-07", "Good Friday, Easter weekend and Easter Monday"),
        ("2026-04-01", "2026-05-04", "May Day on a Friday"),
        ("2026-04-14", "2026-05-15", "Ascension Day; the Friday after is a working day"),
        ("2025-05-06", "2025-06-09", "National Day on a Friday, then the weekend (Whitsunday)"),
        ("2025-05-20", "2025-06-23", "midsommarafton, midsommardagen, Sunday"),
        ("2026-05-19", "2026-06-22", "midsommarafton 2026"),
        ("2026-09-30", "2026-10-30", "the Friday before All Saints' Day (a Saturday)"),
        ("2026-10-31", "2026-11-30", "received on All Saints' Day"),
        ("2026-02-17", "2026-03-17", "St Patrick's Day is a working day in Sweden"),
    ],
)
def test_one_month_from_receipt_in_sweden(received: str, due: str, why: str) -> None:
    assert due_date(at(received), where=SWEDEN) == date.fromisoformat(due), why


@pytest.mark.parametrize(
    ("received", "due", "why"),
    [
        ("2026-01-02", "2026-02-03", "St Brigid's Day, the first Monday in February"),
        ("2026-02-17", "2026-03-18", "St Patrick's Day on a Tuesday"),
        ("2026-03-03", "2026-04-03", "Good Friday is not a public holiday in Ireland"),
        ("2026-05-01", "2026-06-02", "the June bank holiday (Monday 1 June 2026)"),
        ("2026-07-03", "2026-08-04", "the August bank holiday (Monday 3 August 2026)"),
        ("2026-09-26", "2026-10-27", "the October bank holiday (Monday 26 October 2026)"),
        ("2026-11-24", "2026-12-24", "Christmas Eve is a working day in Ireland"),
        ("2025-11-26", "2025-12-29", "St Stephen's Day on a Friday, then the weekend"),
        ("2026-05-19", "2026-06-19", "midsommarafton is Swedish only: an ordinary Friday in Ireland"),
        ("2025-05-06", "2025-06-06", "6 June is Sweden's National Day, not Ireland's"),
        ("2026-12-06", "2027-01-06", "Epiphany is not a public holiday in Ireland"),
        ("2026-04-14", "2026-05-14", "nor is Ascension Day"),
    ],
)
def test_one_month_from_receipt_in_ireland(received: str, due: str, why: str) -> None:
    assert due_date(at(received), where=IRELAND) == date.fromisoformat(due), why


@pytest.mark.parametrize(
    ("where", "received_utc", "due", "why"),
    [
        (
            SWEDEN,
            "2026-10-09T21:59",
            "2026-11-09",
            "23:59 on Friday in Stockholm (summer time): that Friday",
        ),
        (SWEDEN, "2026-10-09T22:30", "2026-11-10", "00:30 on Saturday in Stockholm though still Friday in UTC"),
        (SWEDEN, "2026-01-16T22:30", "2026-02-16", "23:30 on Friday in Stockholm (winter time)"),
        (SWEDEN, "2026-01-16T23:30", "2026-02-17", "00:30 on Saturday in Stockholm"),
        (IRELAND, "2026-10-09T22:30", "2026-11-09", "23:30 on Friday in Dublin (Irish Standard Time)"),
        (IRELAND, "2026-10-09T23:30", "2026-11-10", "00:30 on Saturday in Dublin"),
        (IRELAND, "2026-01-16T23:30", "2026-02-16", "23:30 on Friday in Dublin: winter time is UTC"),
    ],
    ids=lambda value: value.country if isinstance(value, Jurisdiction) else None,
)
def test_the_day_of_receipt_is_the_day_where_the_organisation_is(
    where: Jurisdiction, received_utc: str, due: str, why: str
) -> None:
    received = datetime.fromisoformat(received_utc + "+00:00")
    assert due_date(received, where=where) == date.fromisoformat(due), why


@EVERYWHERE
def test_a_time_of_receipt_without_a_time_zone_is_refused(where: Jurisdiction) -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        due_date(datetime(2026, 11, 2, 10, 0), where=where)


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
@EVERYWHERE
def test_verification_pauses_the_clock(
    where: Jurisdiction, paused: tuple[tuple[date, date], ...], due: str, why: str
) -> None:
    assert due_date(at("2024-03-25"), where=where, paused=paused) == D(due), why


@EVERYWHERE
def test_a_pause_that_ends_before_it_starts_is_refused(where: Jurisdiction) -> None:
    with pytest.raises(InvalidInput, match="ends before it starts") as caught:
        due_date(at("2024-03-25"), where=where, paused=((D("2024-03-28"), D("2024-03-26")),))
    assert caught.value.problems[0].location == "paused[0]"


@pytest.mark.parametrize(
    ("received", "months", "due", "why"),
    [
        ("2024-03-25", 2, "2024-06-25", "three months from receipt in all"),
        ("2024-03-25", 1, "2024-05-27", "one further month: Saturday 25 May, so Monday"),
        ("2025-11-30", 2, "2026-03-02", "no 30 February: Saturday 28 February, so Monday"),
        ("2023-11-30", 2, "2024-02-29", "leap year"),
    ],
)
@EVERYWHERE
def test_extension_by_further_months(where: Jurisdiction, received: str, months: int, due: str, why: str) -> None:
    assert extended_due_date(at(received), where=where, months=months) == D(due), why


def test_an_extension_ends_on_a_working_day_of_the_organisation() -> None:
    # Three months from 24 September is Thursday 24 December: julafton in Sweden, a working day in Ireland.
    assert extended_due_date(at("2026-09-24"), where=SWEDEN, months=2) == D("2026-12-28")
    assert extended_due_date(at("2026-09-24"), where=IRELAND, months=2) == D("2026-12-24")


@EVERYWHERE
@pytest.mark.parametrize("months", [0, 3, -1, 12])
def test_an_extension_is_never_beyond_two_further_months(where: Jurisdiction, months: int) -> None:
    with pytest.raises(InvalidInput, match="one or two further months"):
        extended_due_date(at("2024-03-25"), where=where, months=months)


@pytest.mark.parametrize(
    ("where", "last_evening", "too_late"),
    [
        (SWEDEN, datetime(2024, 4, 25, 21, 30, tzinfo=UTC), datetime(2024, 4, 25, 22, 30, tzinfo=UTC)),  # 23:30, 00:30
        (IRELAND, datetime(2024, 4, 25, 22, 30, tzinfo=UTC), datetime(2024, 4, 25, 23, 30, tzinfo=UTC)),
    ],
    ids=["SE", "IE"],
)
def test_an_extension_needs_a_reason_and_a_notice_within_the_first_month(
    where: Jurisdiction, last_evening: datetime, too_late: datetime
) -> None:
    received = at("2024-03-25")
    assert extension_due_date(
        received, where=where, months=2, reason="Many systems to search", notified_at=last_evening
    ) == D("2024-06-25")
    with pytest.raises(InvalidInput) as late:
        extension_due_date(received, where=where, months=2, reason="Many systems", notified_at=too_late)
    assert [p.location for p in late.value.problems] == ["notified_at"]
    assert "2024-04-25" in late.value.problems[0].message
    with pytest.raises(InvalidInput) as no_reason:
        extension_due_date(received, where=where, months=1, reason="  ", notified_at=at("2024-04-01"))
    assert [p.location for p in no_reason.value.problems] == ["reason"]


@EVERYWHERE
def test_a_pause_also_moves_the_last_day_to_announce_an_extension(where: Jurisdiction) -> None:
    paused = ((D("2024-03-26"), D("2024-03-29")),)
    assert extension_due_date(
        at("2024-03-25"), where=where, months=2, reason="Complex", notified_at=at("2024-04-29"), paused=paused
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
def test_working_days_in_sweden(day: str, working: bool, why: str) -> None:
    assert SWEDEN.working_day(D(day)) is working, why


@pytest.mark.parametrize(
    ("day", "working", "why"),
    [
        ("2026-03-17", False, "St Patrick's Day"),
        ("2026-02-02", False, "St Brigid's Day (first Monday in February)"),
        ("2025-01-31", True, "the Friday before St Brigid's Day 2025"),
        ("2026-04-03", True, "Good Friday is a working day"),
        ("2026-04-06", False, "Easter Monday"),
        ("2026-05-04", False, "May bank holiday"),
        ("2026-10-26", False, "October bank holiday"),
        ("2026-12-24", True, "Christmas Eve"),
        ("2026-12-31", True, "New Year's Eve"),
        ("2026-06-19", True, "midsommarafton is not Irish"),
        ("2024-12-26", False, "St Stephen's Day"),
    ],
)
def test_working_days_in_ireland(day: str, working: bool, why: str) -> None:
    assert IRELAND.working_day(D(day)) is working, why


@pytest.mark.parametrize(
    ("subdivision", "day", "working", "why"),
    [
        ("BY", "2026-01-06", False, "Epiphany is a holiday in Bavaria"),
        ("BE", "2026-01-06", True, "but not in Berlin"),
        ("BE", "2027-03-08", False, "International Women's Day is a holiday in Berlin"),
        ("BY", "2027-03-08", True, "but not in Bavaria"),
        (None, "2026-10-03", False, "German Unity Day, everywhere"),
    ],
)
def test_working_days_follow_the_subdivision(subdivision: str | None, day: str, working: bool, why: str) -> None:
    germany = Jurisdiction.of("DE", authority="a Land's data protection authority", subdivision=subdivision)
    assert germany.working_day(D(day)) is working, why


@pytest.mark.parametrize(
    ("where", "last_minute_utc"),
    [(SWEDEN, datetime(2026, 12, 2, 23, 0, tzinfo=UTC)), (IRELAND, datetime(2026, 12, 3, 0, 0, tzinfo=UTC))],
    ids=["SE", "IE"],
)
def test_days_left_reminders_and_overdue(where: Jurisdiction, last_minute_utc: datetime) -> None:
    due = D("2026-12-02")
    assert [days_left(due, D(d)) for d in ("2026-11-29", "2026-12-02", "2026-12-03")] == [3, 0, -1]
    assert reminder_dates(due) == (D("2026-11-25"), D("2026-12-01"))
    assert due_end(due, where) == last_minute_utc  # midnight after the due date, on the organisation's clock
    assert not is_overdue(due, datetime.fromtimestamp(last_minute_utc.timestamp() - 60, UTC), where)  # 23:59 local
    assert is_overdue(due, last_minute_utc, where)


@EVERYWHERE
@given(received=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)))
def test_a_due_date_is_a_working_day_a_month_or_a_little_more_after_receipt(
    where: Jurisdiction, received: datetime
) -> None:
    """Art. 12(3), Reg. 1182/71 Art. 3(4): never before the same date next month, never on a closed day, and
    never more than a long holiday later."""
    due = due_date(received, where=where)
    received_on = where.local_date(received)
    assert where.working_day(due)
    assert due >= add_months(received_on, 1)
    assert (due - add_months(received_on, 1)).days <= 6  # the longest run of closed days (Christmas in Sweden)
