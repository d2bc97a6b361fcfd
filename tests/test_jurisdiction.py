"""Where the organisation is comes from its policy: the zone staff type and read times in, the holidays, the
phone region and the languages; a policy that leaves one of them unclear is refused with its line and a hint."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from custos.clock import FixedClock
from custos.errors import InvalidInput, PolicyInvalid
from custos.jurisdiction import Jurisdiction
from custos.policy import load_policy
from custos.policy.check import check_policy
from example_policies import EXAMPLES, example, jurisdiction_of

SWEDEN = jurisdiction_of("elastx")
IRELAND = jurisdiction_of("corrib")


# -- what the policy says --------------------------------------------------------------------------------------


def test_each_example_policy_says_where_it_is() -> None:
    assert (SWEDEN.country, str(SWEDEN.zone), SWEDEN.phone_region, SWEDEN.languages) == (
        "SE",
        "Europe/Stockholm",
        "SE",
        ("en", "sv"),
    )
    assert (IRELAND.country, str(IRELAND.zone), IRELAND.phone_region, IRELAND.languages) == (
        "IE",
        "Europe/Dublin",
        "IE",
        ("en",),
    )
    assert "Data Protection Commission" in example("corrib").organisation.supervisory_authority


def test_what_is_not_written_comes_from_the_country() -> None:
    germany = Jurisdiction.of("DE", authority="BfDI")
    assert (str(germany.zone), germany.holiday_country, germany.phone_region, germany.languages) == (
        "Europe/Berlin",
        "DE",
        "DE",
        ("en",),
    )
    # Sweden's own table: the de facto holidays of lag (1930:173) 2 § close offices for a time limit.
    assert "de_facto" in Jurisdiction.of("SE", authority="IMY").closed_categories
    assert Jurisdiction.of("DE", authority="BfDI").closed_categories == ("public",)


def _write(tmp_path: Path, name: str, edit: dict[str, object]) -> Path:
    data = yaml.safe_load(EXAMPLES[name].read_text(encoding="utf-8"))
    data["organisation"].update(edit)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "location", "message", "hint"),
    [
        ({"country": "ES", "timezone": None}, "organisation.timezone", "several time zones", "timezone: Europe/Madrid"),
        ({"country": "US", "timezone": None}, "organisation.timezone", "cannot tell the time zone", "timezone:"),
        ({"timezone": "Europe/Galway"}, "organisation.timezone", "is not a time zone", "IANA"),
        ({"holidays": {"subdivision": "XX"}}, "organisation.holidays", "not a subdivision", "remove the key"),
        ({"holidays": {"country": "ZZ"}}, "organisation.holidays", "no holiday calendar", "holidays"),
        ({"languages": ["en", "de"]}, "organisation.languages", "no wording in 'de'", "en, sv"),
        ({"languages": []}, "organisation.languages", "no language", "at least one"),
        ({"phone_region": "QQ"}, "organisation.phone_region", "phone numbering region", "two-letter"),
    ],
)
def test_an_unclear_jurisdiction_is_refused_with_its_line_and_a_hint(
    tmp_path: Path, edit: dict[str, object], location: str, message: str, hint: str
) -> None:
    path = _write(tmp_path, "corrib", {key: value for key, value in edit.items() if value is not None})
    if edit.get("timezone", "") is None:  # the key left out, so the country must give the zone
        text = path.read_text(encoding="utf-8")
        path.write_text("\n".join(line for line in text.splitlines() if "timezone:" not in line), encoding="utf-8")
    with pytest.raises(PolicyInvalid) as refused:
        load_policy(path)
    problem = next(p for p in refused.value.problems if p.location.startswith(location))
    assert message in problem.message
    assert problem.hint is not None
    assert hint in problem.hint
    assert problem.line is not None
    report = check_policy(path, FixedClock(date(2026, 11, 29)))
    assert any(p.location.startswith(location) for p in report.errors)


def test_a_subdivision_with_holidays_of_its_own_is_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path, "corrib", {"country": "DE", "timezone": "Europe/Berlin", "holidays": {"subdivision": "BY"}})
    where = load_policy(path).jurisdiction
    assert (where.holiday_country, where.subdivision) == ("DE", "BY")
    assert not where.working_day(date(2026, 1, 6))  # Epiphany in Bavaria


# -- times staff type ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "typed", "instant"),
    [
        (SWEDEN, "2024-03-25 00:30", datetime(2024, 3, 24, 23, 30, tzinfo=UTC)),  # the case: CET
        (SWEDEN, "2024-03-25T00:30", datetime(2024, 3, 24, 23, 30, tzinfo=UTC)),  # a browser's datetime-local
        (SWEDEN, "2024-07-01 09:00", datetime(2024, 7, 1, 7, 0, tzinfo=UTC)),  # summer time: +02:00
        (SWEDEN, "2024-03-25T00:30+00:00", datetime(2024, 3, 25, 0, 30, tzinfo=UTC)),  # an explicit offset wins
        (SWEDEN, "2024-03-25 00:30Z", datetime(2024, 3, 25, 0, 30, tzinfo=UTC)),
        (SWEDEN, "2024-03-25 00:30 +01:00", datetime(2024, 3, 24, 23, 30, tzinfo=UTC)),  # as the pages show it
        (SWEDEN, "2024-03-25T00:30:15-0500", datetime(2024, 3, 25, 5, 30, 15, tzinfo=UTC)),
        (IRELAND, "2024-03-25 00:30", datetime(2024, 3, 25, 0, 30, tzinfo=UTC)),  # winter in Dublin is UTC
        (IRELAND, "2024-07-01 09:00", datetime(2024, 7, 1, 8, 0, tzinfo=UTC)),  # Irish Standard Time
    ],
)
def test_a_typed_time_is_read_on_the_organisations_clock_unless_it_has_an_offset(
    where: Jurisdiction, typed: str, instant: datetime
) -> None:
    assert where.parse_time(typed) == instant


@pytest.mark.parametrize(
    ("where", "typed", "says"),
    [
        (SWEDEN, "2026-03-29 02:30", "does not exist in Europe/Stockholm"),  # clocks go 02:00 → 03:00
        (SWEDEN, "2026-10-25 02:30", "happens twice in Europe/Stockholm"),  # 03:00 → 02:00
        (IRELAND, "2026-03-29 01:30", "does not exist in Europe/Dublin"),
        (IRELAND, "2026-10-25 01:30", "happens twice in Europe/Dublin"),
    ],
)
def test_a_time_the_clock_skips_or_shows_twice_is_refused(where: Jurisdiction, typed: str, says: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        where.parse_time(typed, location="--aware-at")
    problem = refused.value.problems[0]
    assert problem.location == "--aware-at"
    assert says in problem.message
    assert problem.hint is not None
    assert "offset" in problem.hint
    # With its offset, the same wall time is one instant and is taken.
    offset = "+02:00" if where is SWEDEN else "+01:00"
    assert where.parse_time(f"{typed} {offset}").tzinfo is UTC


@pytest.mark.parametrize("typed", ["tomorrow", "2026-02-30 10:00", "2026-11-02", "10:30", "2026-11-02 25:00"])
def test_what_is_not_a_time_is_refused_with_how_to_write_one(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        SWEDEN.parse_time(typed, location="received_at")
    assert refused.value.problems[0].location == "received_at"
    assert "YYYY-MM-DD HH:MM" in (refused.value.problems[0].hint or "")


@pytest.mark.parametrize(
    ("where", "instant", "shown"),
    [
        (SWEDEN, datetime(2024, 3, 24, 23, 30, tzinfo=UTC), "2024-03-25 00:30 +01:00"),
        (SWEDEN, datetime(2024, 7, 1, 7, 0, tzinfo=UTC), "2024-07-01 09:00 +02:00"),
        (IRELAND, datetime(2024, 3, 24, 23, 30, tzinfo=UTC), "2024-03-24 23:30 +00:00"),
        (IRELAND, datetime(2024, 7, 1, 7, 0, tzinfo=UTC), "2024-07-01 08:00 +01:00"),
    ],
)
def test_a_time_is_shown_on_the_organisations_clock_with_its_offset(
    where: Jurisdiction, instant: datetime, shown: str
) -> None:
    assert where.format_time(instant) == shown
    assert where.local_date(instant) == date.fromisoformat(shown[:10])


@pytest.mark.parametrize("name", list(EXAMPLES))
@given(
    instant=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC)).map(
        lambda at: at.replace(second=0, microsecond=0)
    )
)
def test_a_time_shown_reads_back_as_the_same_instant(name: str, instant: datetime) -> None:
    """Whatever staff copy from a page (even in the hour the clocks go back) is the instant they saw."""
    where = jurisdiction_of(name)
    assert where.parse_time(where.format_time(instant)) == instant


def test_every_key_of_the_organisation_section_is_documented() -> None:
    from custos.policy.models import HolidayCalendar, Organisation

    docs = (EXAMPLES["elastx"].parents[2] / "docs" / "jurisdiction.md").read_text(encoding="utf-8")
    keys = [name for name in Organisation.model_fields if name not in ("name", "org_number", "contacts")]
    keys += [f"holidays.{name}" for name in HolidayCalendar.model_fields]
    missing = [key for key in keys if f"`{key}`" not in docs]
    assert missing == []


@pytest.mark.parametrize(
    ("name", "period", "law", "cookie_law"),
    [
        ("elastx", "ten-year", "Preskriptionslag (1981:130) 2 §", "LEK (2022:482) 9 kap. 28 §"),
        ("corrib", "six-year", "Statute of Limitations 1957, s. 11", "S.I. No. 336/2011"),
    ],
)
def test_policy_check_cites_the_organisations_own_law(
    tmp_path: Path, name: str, period: str, law: str, cookie_law: str
) -> None:
    data = yaml.safe_load(EXAMPLES[name].read_text(encoding="utf-8"))
    prospects = next(a for a in data["activities"] if a["id"] == "prospects")
    prospects["retention"] = {"keep": "P11Y", "from": "last_interaction"}  # beyond either limitation, no reason
    data["consent"]["implied_by_browsing"] = True
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    report = check_policy(path, FixedClock(date(2026, 11, 29)))
    found = report.errors + report.warnings
    retention = next(f for f in found if f.location.endswith("retention"))
    assert f"the {period} limitation period" in retention.message
    assert law in (retention.hint or "")
    implied = next(f for f in found if f.location == "consent.implied_by_browsing")
    assert cookie_law in (implied.hint or "")
    other = "LEK" if name == "corrib" else "S.I. No. 336/2011"
    assert all(other not in (f.hint or "") for f in found)
