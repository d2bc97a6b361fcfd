"""ISO 8601 durations (`P10Y`, `P6M`, `P365D`, `PT30M`) and calendar arithmetic on dates.

Retention periods are counted in calendar units, not in days: ten years from 2016-02-29 end on 2026-02-28,
and one month from 2024-01-31 ends on 2024-02-29. A month or year that lands on a day the target month lacks
is clamped to that month's last day, the same rule Reg. 1182/71 Art. 3(2)(c) uses for periods in EU law.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

DURATION_HINT = "write an ISO 8601 duration such as P10Y, P6M, P2W or P365D"

_PATTERN = re.compile(
    r"P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)


class DurationError(ValueError):
    """A text that is not an ISO 8601 duration, or a duration that cannot be used where it was given."""


@dataclass(frozen=True)
class Duration:
    """A calendar duration; parse with `Duration.parse`, print with `str()` (canonical ISO 8601)."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0

    @classmethod
    def parse(cls, text: str) -> Duration:
        match = _PATTERN.fullmatch(text.strip().upper())
        if match is None:
            raise DurationError(f"{text!r} is not an ISO 8601 duration")
        return cls(**{unit: int(value) for unit, value in match.groupdict().items() if value is not None})

    @property
    def has_time_part(self) -> bool:
        return bool(self.hours or self.minutes or self.seconds)

    def __str__(self) -> str:
        date_part = "".join(
            f"{value}{unit}"
            for value, unit in ((self.years, "Y"), (self.months, "M"), (self.weeks, "W"), (self.days, "D"))
            if value
        )
        time_part = "".join(
            f"{value}{unit}" for value, unit in ((self.hours, "H"), (self.minutes, "M"), (self.seconds, "S")) if value
        )
        if not date_part and not time_part:
            return "P0D"
        return f"P{date_part}" + (f"T{time_part}" if time_part else "")

    def days_from(self, start: date) -> int:
        """Length in days when counted from `start` (calendar units have no fixed length)."""
        extra = 1 if self.has_time_part else 0  # any time part reaches into the next day
        return (add_duration(start, self.date_part()) - start).days + extra

    def date_part(self) -> Duration:
        return Duration(self.years, self.months, self.weeks, self.days)

    def longer_than(self, other: Duration) -> bool:
        """True if this duration is longer than `other` from some start date in a four-year cycle."""
        starts = (date(2023, 1, 31), date(2024, 2, 29), date(2024, 1, 31), date(2025, 7, 31))
        return any(self.days_from(start) > other.days_from(start) for start in starts)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _validate_duration,
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "format": "duration"}


def parse_duration(text: str, *, allow_time: bool = False) -> Duration:
    """Parse an ISO 8601 duration; time parts (`PT5M`) only when `allow_time`, since dates have no hours."""
    duration = Duration.parse(text)
    if duration.has_time_part and not allow_time:
        raise DurationError(f"{text!r} has a time part; retention is counted in whole days, months and years")
    return duration


def add_duration(start: date, duration: Duration | str) -> date:
    """`start` plus a date duration, clamping to the month's last day (2016-02-29 + P10Y = 2026-02-28)."""
    if isinstance(duration, str):
        duration = parse_duration(duration)
    if duration.has_time_part:
        raise DurationError(f"{duration} has a time part and cannot be added to a date")
    month_index = start.month - 1 + duration.months + 12 * duration.years
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day) + timedelta(weeks=duration.weeks, days=duration.days)


def _validate_duration(value: object) -> Duration:
    if isinstance(value, Duration):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError(
            "duration_type",
            "expected an ISO 8601 duration text, got {value}",
            {"value": repr(value), "hint": DURATION_HINT},
        )
    try:
        return Duration.parse(value)
    except DurationError as error:
        raise PydanticCustomError("duration", "{reason}", {"reason": str(error), "hint": DURATION_HINT}) from None


def require_date_only(duration: Duration) -> Duration:
    """Pydantic after-validator for periods counted on dates (retention, consent validity)."""
    if duration.has_time_part:
        raise PydanticCustomError(
            "duration_time_part",
            "{value} has a time part; this period is counted in whole days, months and years",
            {"value": str(duration), "hint": "drop the T… part, e.g. write P1D instead of PT24H"},
        )
    return duration
