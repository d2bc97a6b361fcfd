"""ISO 8601 durations and calendar arithmetic: what a retention period or a consent validity means in days."""

from datetime import date

import pytest

from custos.policy import Duration, DurationError, add_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P10Y", Duration(years=10)),
        ("P1Y2M3W4D", Duration(years=1, months=2, weeks=3, days=4)),
        ("P365D", Duration(days=365)),
        ("p6m", Duration(months=6)),
    ],
)
def test_parse_reads_date_durations(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["P1Y2M3W4D", "P365D", "PT30M", "P1DT12H"])
def test_duration_prints_back_as_written(text: str) -> None:
    assert str(parse_duration(text, allow_time=True)) == text


@pytest.mark.parametrize("text", ["", "P", "PT", "10Y", "P1.5Y", "P-1D", "P1YT", "one year"])
def test_parse_rejects_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(DurationError, match="not an ISO 8601 duration"):
        parse_duration(text)


def test_time_parts_are_refused_for_dates_with_a_reason() -> None:
    with pytest.raises(DurationError, match="time part"):
        parse_duration("PT5M")
    assert parse_duration("PT30M", allow_time=True) == Duration(minutes=30)


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (date(2016, 2, 29), "P10Y", date(2026, 2, 28)),  # no 29 February in 2026: clamp
        (date(2016, 2, 29), "P8Y", date(2024, 2, 29)),  # leap year to leap year
        (date(2024, 1, 31), "P1M", date(2024, 2, 29)),  # month end clamps in a leap year
        (date(2023, 1, 31), "P1M", date(2023, 2, 28)),
        (date(2023, 8, 31), "P1M", date(2023, 9, 30)),
        (date(2023, 11, 15), "P3M", date(2024, 2, 15)),  # across the year end
        (date(2024, 3, 25), "P2W", date(2024, 4, 8)),
        (date(2024, 3, 25), "P365D", date(2025, 3, 25)),
        (date(2024, 1, 1), "P1Y1M1D", date(2025, 2, 2)),
    ],
)
def test_add_duration_counts_calendar_units(start: date, duration: str, expected: date) -> None:
    assert add_duration(start, duration) == expected


def test_add_duration_refuses_a_time_part() -> None:
    with pytest.raises(DurationError, match="time part"):
        add_duration(date(2024, 1, 1), Duration(minutes=5))


def test_longer_than_compares_calendar_and_day_durations() -> None:
    assert parse_duration("P13M").longer_than(parse_duration("P365D"))
    assert parse_duration("P1Y").longer_than(parse_duration("P365D"))  # 366 days from 2024-01-31
    assert not parse_duration("P365D").longer_than(parse_duration("P1Y"))
    assert not parse_duration("P10Y").longer_than(parse_duration("P10Y"))
    assert parse_duration("PT30M", allow_time=True).longer_than(Duration()) is True
