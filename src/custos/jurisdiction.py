"""Where the organisation is: its time zone, its calendar of working days, its phone region and its languages.

Everything that depends on the country asks one object, `policy.jurisdiction`, built from the policy's
`organisation` section, so that an organisation anywhere runs Custos by changing only its policy file:

- the deadlines of data subject requests end on a working day there (Reg. 1182/71 Art. 2(1), 3(4): the public
  holidays are those of the Member State), from the `holidays` package by country and subdivision, plus the
  days a country's own law counts as holidays for statutory time limits (`COUNTRIES[...].closed`);
- a time staff type without an offset is read in the organisation's zone, and every time shown to staff or to
  a subject is shown there with its offset (`parse_time`, `format_time`), so a deadline is never an hour off;
- a phone number written without a country code is read in the organisation's phone region;
- the notice, the request pages and the letters speak the policy's languages.

Defaults come from `organisation.country` where they are unambiguous (`COUNTRIES`); where they are not (a
country with several time zones, or one Custos has no table for), the policy must say, and `policy check`
points at the key to add.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_calendars
import phonenumbers

from custos.clock import Clock
from custos.errors import InvalidInput, Problem
from custos.texts import LANGUAGES, Language

__all__ = [
    "COUNTRIES",
    "Country",
    "Jurisdiction",
    "JurisdictionError",
    "format_in",
    "holiday_subdivisions",
]

# The `holidays` package's category of days that are public holidays by law; every country has it.
_PUBLIC = "public"


@dataclass(frozen=True)
class Country:
    """What Custos knows of a country without being told: its time zones, and its own rules for deadlines."""

    zones: tuple[str, ...]
    # Further `holidays` categories that close offices for a statutory time limit, beyond the public holidays.
    closed: tuple[str, ...] = ()
    # The languages a notice there is published in by default (each must have Custos wording).
    languages: tuple[Language, ...] = ("en",)
    # The national law on storing or reading information on a visitor's device (ePrivacy Directive
    # 2002/58/EC Art. 5(3) as implemented there), cited by `policy check`.
    cookie_law: str = "ePrivacy Directive 2002/58/EC Art. 5(3)"
    # The general limitation period for claims, in years, and its source: the usual ceiling for keeping data
    # for possible claims (Art. 5(1)(e)); `policy check` asks for a reason beyond it. None: not tabled here.
    limitation: tuple[int, str] | None = None


# The EU/EEA, Switzerland and the United Kingdom, with the zones of the IANA zone.tab. A country listed with
# one zone gets it by default; one with several (Spain: the Canaries, Ceuta; Portugal: Madeira, the Azores)
# must say which in `organisation.timezone`, as must a country not listed.
COUNTRIES: Mapping[str, Country] = {
    "AT": Country(("Europe/Vienna",)),
    "BE": Country(("Europe/Brussels",)),
    "BG": Country(("Europe/Sofia",)),
    "CH": Country(("Europe/Zurich",)),
    # zone.tab also lists Asia/Famagusta, for the north of the island, where the Republic's law is not applied.
    "CY": Country(("Asia/Nicosia",)),
    "CZ": Country(("Europe/Prague",)),
    # zone.tab also lists Europe/Busingen, an exclave that keeps Berlin's clocks.
    "DE": Country(("Europe/Berlin",)),
    "DK": Country(("Europe/Copenhagen",)),
    "EE": Country(("Europe/Tallinn",)),
    "ES": Country(("Europe/Madrid", "Atlantic/Canary", "Africa/Ceuta")),
    "FI": Country(("Europe/Helsinki",)),
    "FR": Country(("Europe/Paris",)),
    "GB": Country(("Europe/London",)),
    "GR": Country(("Europe/Athens",)),
    "HR": Country(("Europe/Zagreb",)),
    "HU": Country(("Europe/Budapest",)),
    "IE": Country(
        ("Europe/Dublin",),
        cookie_law="ePrivacy Regulations 2011 (S.I. No. 336/2011), Reg. 5(3)",
        limitation=(6, "Statute of Limitations 1957, s. 11"),
    ),
    "IS": Country(("Atlantic/Reykjavik",)),
    "IT": Country(("Europe/Rome",)),
    "LI": Country(("Europe/Vaduz",)),
    "LT": Country(("Europe/Vilnius",)),
    "LU": Country(("Europe/Luxembourg",)),
    "LV": Country(("Europe/Riga",)),
    "MT": Country(("Europe/Malta",)),
    "NL": Country(("Europe/Amsterdam",)),
    "NO": Country(("Europe/Oslo",)),
    "PL": Country(("Europe/Warsaw",)),
    "PT": Country(("Europe/Lisbon", "Atlantic/Madeira", "Atlantic/Azores")),
    "RO": Country(("Europe/Bucharest",)),
    # Sweden: midsommarafton, julafton and nyårsafton are not public holidays under lag (1989:253) om allmänna
    # helgdagar, but lag (1930:173) om beräkning av lagstadgad tid 2 § treats them as such for statutory time
    # limits, and offices are closed; the package's "de_facto" category holds exactly those three days.
    "SE": Country(
        ("Europe/Stockholm",),
        closed=("de_facto",),
        languages=("en", "sv"),
        cookie_law="LEK (2022:482) 9 kap. 28 §",
        limitation=(10, "Preskriptionslag (1981:130) 2 §"),
    ),
    "SI": Country(("Europe/Ljubljana",)),
    "SK": Country(("Europe/Bratislava",)),
}

_TYPED = re.compile(
    r"(?P<day>\d{4}-\d{2}-\d{2})[T ](?P<clock>\d{2}:\d{2}(?::\d{2})?)\s*(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)


class JurisdictionError(ValueError):
    """A jurisdiction setting that cannot be used: which key, what is wrong, and how to fix it."""

    def __init__(self, key: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message
        self.hint = hint


def holiday_subdivisions(country: str) -> tuple[str, ...]:
    """The subdivisions (states, regions) that the `holidays` package knows for `country`, codes first."""
    return tuple(holiday_calendars.list_supported_countries().get(country, ()))


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise JurisdictionError(
            "timezone", f"{name!r} is not a time zone", "write an IANA time zone name such as Europe/Berlin"
        ) from None
    return name


def check_holidays(country: str, subdivision: str | None) -> None:
    supported = holiday_calendars.list_supported_countries()
    if country not in supported:
        raise JurisdictionError(
            "holidays.country",
            f"Custos has no holiday calendar for {country!r}",
            "write the two-letter ISO 3166-1 code of a country the `holidays` package covers, such as DE",
        )
    if subdivision is not None and subdivision not in supported[country]:
        known = ", ".join(supported[country]) or "none"
        raise JurisdictionError(
            "holidays.subdivision",
            f"{subdivision!r} is not a subdivision of {country} with its own holidays",
            f"use one of: {known}" if supported[country] else f"{country} has no subdivisions; remove the key",
        )


def check_phone_region(region: str) -> str:
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise JurisdictionError(
            "phone_region", f"{region!r} is not a phone numbering region", "write a two-letter country code such as IE"
        )
    return region


def check_languages(languages: Sequence[str]) -> tuple[Language, ...]:
    if not languages:
        raise JurisdictionError("languages", "no language is given", "list at least one, e.g. [en]")
    chosen: list[Language] = []
    for lang in languages:
        known = next((known for known in LANGUAGES if known == lang), None)
        if known is None:
            raise JurisdictionError(
                "languages",
                f"Custos has no wording in {lang!r} for the notice, the request pages and the letters",
                f"use the languages Custos is written in: {', '.join(LANGUAGES)}",
            )
        if known in chosen:
            raise JurisdictionError("languages", f"{lang!r} is listed twice", "list each language once")
        chosen.append(known)
    return tuple(chosen)


def default_timezone(country: str) -> str:
    known = COUNTRIES.get(country)
    if known is None:
        raise JurisdictionError(
            "timezone",
            f"Custos cannot tell the time zone of {country!r} from the country alone",
            "add `timezone:` to `organisation`, an IANA name such as Europe/Berlin",
        )
    if len(known.zones) > 1:
        raise JurisdictionError(
            "timezone",
            f"{country} has several time zones ({', '.join(known.zones)})",
            f"add `timezone:` to `organisation`, e.g. timezone: {known.zones[0]}",
        )
    return known.zones[0]


def default_languages(country: str) -> tuple[Language, ...]:
    known = COUNTRIES.get(country)
    return known.languages if known is not None else ("en",)


@dataclass(frozen=True)
class Jurisdiction:
    """The organisation's place: built by the policy (`policy.jurisdiction`); every caller asks this one."""

    country: str
    zone: ZoneInfo
    holiday_country: str
    subdivision: str | None
    phone_region: str
    languages: tuple[Language, ...]
    authority: str

    @classmethod
    def of(
        cls,
        country: str,
        *,
        authority: str,
        timezone: str | None = None,
        holiday_country: str | None = None,
        subdivision: str | None = None,
        phone_region: str | None = None,
        languages: Sequence[str] | None = None,
    ) -> Jurisdiction:
        """The jurisdiction with the defaults of `country` for what is not given; JurisdictionError otherwise."""
        zone = check_timezone(timezone) if timezone else default_timezone(country)
        calendar = holiday_country or country
        check_holidays(calendar, subdivision)
        return cls(
            country=country,
            zone=ZoneInfo(zone),
            holiday_country=calendar,
            subdivision=subdivision,
            phone_region=check_phone_region(phone_region or country),
            languages=check_languages(languages) if languages is not None else default_languages(country),
            authority=authority,
        )

    # -- the country's own law -------------------------------------------------------------------------

    @property
    def cookie_law(self) -> str:
        """The law that makes storing or reading on a visitor's device wait for consent, where it is."""
        known = COUNTRIES.get(self.country)
        return known.cookie_law if known is not None else Country(()).cookie_law

    @property
    def limitation(self) -> tuple[int, str]:
        """The general limitation period in years and its source; ten years where Custos has no table."""
        known = COUNTRIES.get(self.country)
        if known is None or known.limitation is None:
            return 10, f"no limitation period is tabled for {self.country}: ten years assumed, confirm it"
        return known.limitation

    # -- the calendar --------------------------------------------------------------------------------------

    @property
    def closed_categories(self) -> tuple[str, ...]:
        """The `holidays` categories on which offices are closed for a statutory time limit."""
        known = COUNTRIES.get(self.holiday_country)
        return (_PUBLIC, *(known.closed if known is not None else ()))

    def non_working_days(self, years: Iterable[int]) -> dict[date, str]:
        """The public holidays (and the country's own closed days) of those years, with their names.

        Weekends are not listed unless the package lists a holiday on one."""
        found: dict[date, str] = {}
        for year in years:
            found.update(_closed_days(self.holiday_country, self.subdivision, self.closed_categories, year))
        return found

    def working_day(self, day: date) -> bool:
        """Not a Saturday, Sunday or a day the organisation's country closes offices on."""
        return day.weekday() < 5 and day not in _closed_days(
            self.holiday_country, self.subdivision, self.closed_categories, day.year
        )

    def next_working_day(self, day: date) -> date:
        """`day` itself when it is a working day, else the first working day after it (Reg. 1182/71 Art. 3(4))."""
        while not self.working_day(day):
            day += timedelta(days=1)
        return day

    # -- time --------------------------------------------------------------------------------------------

    def local(self, at: datetime) -> datetime:
        """The instant on the organisation's clock; an instant without a zone is refused, never guessed."""
        if at.tzinfo is None:
            raise InvalidInput("a time without a time zone cannot be placed; give it with its offset (e.g. UTC)")
        return at.astimezone(self.zone)

    def local_date(self, at: datetime) -> date:
        """The calendar date of an instant where the organisation is (the day a request arrived on)."""
        return self.local(at).date()

    def today(self, clock: Clock) -> date:
        return self.local_date(clock.now())

    def day_end(self, day: date) -> datetime:
        """The instant a day ends where the organisation is: the midnight after it, local time."""
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone)

    def format_time(self, at: datetime) -> str:
        """`2024-03-25 00:30 +01:00`: the organisation's clock, with the offset, so the instant is unambiguous."""
        return format_in(at, self.zone)

    def parse_time(self, text: str, *, location: str = "time") -> datetime:
        """A time staff typed, as an aware UTC instant.

        Written with an offset (`2024-03-25T00:30+01:00`, `...Z`) it is that instant; written without one it is
        read on the organisation's clock, and a local time the clock skips or shows twice (the change to or
        from summer time) is refused, since either reading could put a deadline an hour off.
        """
        zone_name = str(self.zone.key)
        example = f"YYYY-MM-DD HH:MM, on the clock in {zone_name}, or with an offset such as +01:00"
        match = _TYPED.fullmatch(text.strip())
        if match is None:
            raise InvalidInput(
                f"{text!r} is not a time", [Problem(location, f"{text!r} is not a time", hint=f"write {example}")]
            )
        offset = match["offset"]
        written = f"{match['day']}T{match['clock']}"
        if offset:
            written += "+00:00" if offset.upper() == "Z" else _colon(offset)
        try:
            parsed = datetime.fromisoformat(written)
        except ValueError:
            raise InvalidInput(
                f"{text!r} is not a time", [Problem(location, f"{text!r} is not a time", hint=f"write {example}")]
            ) from None
        if parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
        first, second = parsed.replace(tzinfo=self.zone, fold=0), parsed.replace(tzinfo=self.zone, fold=1)
        if first.utcoffset() != second.utcoffset():
            shown = f"{parsed:%Y-%m-%d %H:%M}"
            if first.astimezone(UTC).astimezone(self.zone).replace(tzinfo=None) == parsed:
                message = f"{shown} happens twice in {zone_name}: the clocks go back that night"
                hint = f"write it with its offset: {shown} {_offset(first)} (the first time) or {_offset(second)}"
            else:
                message = f"{shown} does not exist in {zone_name}: the clocks go forward that night"
                later = format_in(first, self.zone)
                hint = f"write a time the clock showed, or give the offset: {shown} {_offset(first)} is {later}"
            raise InvalidInput(message, [Problem(location, message, hint=hint)])
        return first.astimezone(UTC)


def format_in(at: datetime, zone: ZoneInfo) -> str:
    """One instant as `YYYY-MM-DD HH:MM ±HH:MM` on `zone`'s clock; a naive value is taken as UTC (the database's)."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    local = aware.astimezone(UTC).astimezone(zone)  # via UTC: a wall time the clock skipped is normalised
    return f"{local:%Y-%m-%d %H:%M} {_offset(local)}"


def _offset(at: datetime) -> str:
    return _colon(at.strftime("%z"))


def _colon(offset: str) -> str:
    digits = offset[1:].replace(":", "")
    digits = digits.ljust(4, "0")
    return f"{offset[0]}{digits[:2]}:{digits[2:4]}"


@lru_cache(maxsize=256)
def _closed_days(country: str, subdivision: str | None, categories: tuple[str, ...], year: int) -> Mapping[date, str]:
    found = holiday_calendars.country_holidays(country, subdiv=subdivision, years=year, categories=categories)
    return {day: str(name) for day, name in found.items()}
