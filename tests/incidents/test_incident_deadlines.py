"""Art. 33(1): 72 hours from awareness, counted in hours — weekends and holidays do not extend it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custos.incidents import deadlines


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("aware", "due"),
    [
        # Thursday, Christmas Eve 15:00 → Sunday 27 December 15:00. Thu 15:00 + 24 h = Fri 25 (Juldagen) 15:00,
        # + 24 h = Sat 26 (Annandag jul) 15:00, + 24 h = Sun 27 15:00: no move to Monday 28 December.
        (utc(2026, 12, 24, 15, 0), utc(2026, 12, 27, 15, 0)),
        # Easter 2026: Maundy Thursday 2 April 16:30 → Easter Sunday 5 April 16:30, not after Easter Monday (6th).
        (utc(2026, 4, 2, 16, 30), utc(2026, 4, 5, 16, 30)),
        # Friday evening → Monday evening, 72 h later to the minute.
        (utc(2026, 11, 27, 21, 45), utc(2026, 11, 30, 21, 45)),
        # Across the end of Swedish summer time (25 October 2026): UTC counts 72 real hours.
        (utc(2026, 10, 23, 12, 0), utc(2026, 10, 26, 12, 0)),
    ],
)
def test_deadline_is_72_hours_without_rollover(aware: datetime, due: datetime) -> None:
    assert deadlines.authority_deadline(aware) == due
    assert due - aware == timedelta(hours=72)


def test_remaining_counts_down_and_goes_negative() -> None:
    aware = utc(2026, 12, 24, 15, 0)
    assert deadlines.remaining_hours(aware, utc(2026, 12, 24, 15, 0)) == 72.0
    assert deadlines.remaining_hours(aware, utc(2026, 12, 26, 3, 0)) == 36.0
    assert deadlines.remaining_hours(aware, utc(2026, 12, 27, 16, 30)) == -1.5
    assert not deadlines.is_late(aware, utc(2026, 12, 27, 15, 0))
    assert deadlines.is_late(aware, utc(2026, 12, 27, 15, 0, 1))


def test_reminders_fall_due_at_24_48_and_60_hours() -> None:
    aware = utc(2026, 12, 24, 15, 0)
    assert deadlines.due_reminders(aware, utc(2026, 12, 25, 14, 59)) == []
    assert [r.hours for r in deadlines.due_reminders(aware, utc(2026, 12, 25, 15, 0))] == [24]
    assert [r.hours for r in deadlines.due_reminders(aware, utc(2026, 12, 27, 3, 0))] == [24, 48, 60]
    assert [r.hours for r in deadlines.due_reminders(aware, utc(2026, 12, 27, 3, 0), {24, 48})] == [60]
    assert deadlines.reminders(aware)[2].due_at == utc(2026, 12, 27, 3, 0)


def test_nis2_track_has_its_own_clocks() -> None:
    aware = utc(2026, 12, 24, 15, 0)
    track = deadlines.nis2_deadlines(aware, None)
    assert (track.early_warning, track.notification, track.final_report) == (
        utc(2026, 12, 25, 15, 0),
        utc(2026, 12, 27, 15, 0),
        None,
    )
    # One month after the incident notification; 31 January → the last day of February.
    assert deadlines.nis2_deadlines(aware, utc(2027, 1, 31, 9, 0)).final_report == utc(2027, 2, 28, 9, 0)
