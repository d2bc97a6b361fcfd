"""The synthetic register: same seed, same people; every row imports cleanly; retention has work to show."""

from __future__ import annotations

import csv
import math
import re
from datetime import date
from pathlib import Path

import phonenumbers
import pytest
from email_validator import validate_email

from custos.demo import _names, generator
from custos.demo.generator import (
    contact_rows,
    demo_organisation,
    employees,
    luhn_check_digit,
    partner_contacts,
    prospect_rows,
    supplier_contacts,
    write_contacts_csv,
    write_prospects_csv,
)
from custos.register.csv_rows import COLUMNS, ImportKind, parse_row
from custos.register.identities import normalise_email, normalise_phone

TODAY = date(2026, 11, 29)
N = 3000


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _staff_side(seed: int) -> list[tuple[str, list[str], list[str]]]:
    people = list(employees(200, seed, today=TODAY, domain="elastx.se"))
    for groups in (supplier_contacts(200, seed, today=TODAY), partner_contacts(200, seed, today=TODAY)):
        people += [p for g in groups for p in g.people]
    return [(p.name, p.emails, p.phones) for p in people]


def test_same_seed_writes_the_same_files_and_another_seed_does_not(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    write_contacts_csv(a, 500, 7, today=TODAY)
    write_contacts_csv(b, 500, 7, today=TODAY)
    write_contacts_csv(c, 500, 8, today=TODAY)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    assert _staff_side(7) == _staff_side(7)


@pytest.mark.parametrize("kind", ["contacts", "prospects"])
def test_files_have_the_import_columns_and_every_row_is_valid(tmp_path: Path, kind: ImportKind) -> None:
    path = tmp_path / f"{kind}.csv"
    write = write_contacts_csv if kind == "contacts" else write_prospects_csv
    assert write(path, N, 1, today=TODAY) == N
    header, rows = _read(path)
    assert tuple(header) == COLUMNS[kind]
    assert len(rows) == N
    for line, row in enumerate(rows, 2):
        parse_row(kind, line, dict(row), "SE")  # the demo register is Swedish, like the example policy


def test_every_email_and_phone_is_valid_and_unique_across_all_kinds() -> None:
    emails: list[str] = []
    phones: list[str] = []
    for row in [*contact_rows(N, 3, today=TODAY), *prospect_rows(N, 3, today=TODAY)]:
        emails.append(row["email"])
        if row["phone"]:
            phones.append(row["phone"])
    for _name, person_emails, person_phones in _staff_side(3):
        emails += person_emails
        phones += person_phones
    for email in emails:
        validate_email(email, check_deliverability=False)
    for phone in phones:
        assert phonenumbers.is_valid_number(phonenumbers.parse(phone, "SE")), phone
    # Identities are unique in the register, so the demo must never give two people one address or number.
    assert len({normalise_email(e) for e in emails}) == len(emails)
    assert len({normalise_phone(p, "SE") for p in phones}) == len(phones)


def test_organisations_are_distinct_with_valid_swedish_numbers() -> None:
    orgs = [
        demo_organisation(space, i)
        for space in ("customers", "prospects", "suppliers", "partners")
        for i in range(6000)
    ]
    assert len({o.name for o in orgs}) == len(orgs)
    assert len({o.domain for o in orgs}) == len(orgs)
    numbers = [o.org_number for o in orgs if o.org_number]
    assert len(set(numbers)) == len(numbers)
    assert len(numbers) > 0.8 * len(orgs)  # mostly Swedish companies, a few foreign ones without a number
    for number in numbers:
        assert re.fullmatch(r"\d{6}-\d{4}", number)
        digits = number.replace("-", "")
        assert int(digits[2]) >= 2  # a legal person, not a personnummer
        assert luhn_check_digit(digits[:9]) == int(digits[9])


def test_number_permutations_cover_their_spaces() -> None:
    # The affine maps only hand out each number once if the step is coprime with the space.
    assert math.gcd(generator._ORG_STEP, generator._ORG_NUMBERS) == 1
    assert math.gcd(generator._MOBILE_STEP, generator._MOBILE_SPACE) == 1
    assert math.gcd(generator._STOCKHOLM_STEP, generator._STOCKHOLM_SPACE) == 1
    slugs = [generator._slug(w) for w in _names.ORG_PREFIXES + _names.ORG_SUFFIXES + _names.TOWNS]
    assert len(set(slugs)) == len(slugs)
    assert all("-" not in s for s in slugs)


def test_prospects_span_twelve_years_with_fair_names_that_match_the_date() -> None:
    rows = list(prospect_rows(N, 5, today=TODAY))
    met = [date.fromisoformat(r["met_on"]) for r in rows]
    assert max(met) <= TODAY
    old = [d for d in met if d < date(TODAY.year - 10, TODAY.month, TODAY.day)]
    assert 0.05 * N < len(old) < 0.4 * N  # some past the ten-year limit, most not
    fairs = [r for r in rows if r["source"].startswith("Cloud fair Stockholm ")]
    assert fairs
    assert all(r["source"].endswith(r["met_on"][:4]) for r in fairs)
    assert any(not r["organisation"] for r in rows)  # some met as private persons


def test_contacts_include_former_customers_and_ended_roles() -> None:
    rows = list(contact_rows(N, 5, today=TODAY))
    former = {r["organisation"] for r in rows if r["customer_until"]}
    assert former
    assert any(
        date.fromisoformat(r["customer_until"]) < date(TODAY.year - 10, 1, 1) for r in rows if r["customer_until"]
    )
    assert any(r["ended_on"] for r in rows)
    # Every contact of one organisation carries the same customer period, as a CRM export would.
    periods: dict[str, set[tuple[str, str]]] = {}
    for r in rows:
        periods.setdefault(r["organisation"], set()).add((r["customer_since"], r["customer_until"]))
    assert all(len(p) == 1 for p in periods.values())


def test_staff_side_people_have_relationships_and_some_have_ended() -> None:
    staff = list(employees(300, 2, today=TODAY, domain="elastx.se"))
    assert all(p.emails[0].endswith("@elastx.se") for p in staff)
    assert {r.subject_category for p in staff for r in p.relationships} == {"employee"}
    assert any(r.ended_on for p in staff for r in p.relationships)
    groups = list(supplier_contacts(100, 2, today=TODAY))
    assert sum(len(g.people) for g in groups) == 100
    assert all(g.organisation.roles[0].role == "supplier" for g in groups)
    assert any(g.organisation.roles[0].ended_on for g in groups)


def test_the_same_seed_gives_the_same_people_on_another_day() -> None:
    # Seeding again later must find the same people (same addresses and numbers), only the dates move.
    def who(day: date) -> list[tuple[str, str, str]]:
        rows = [*contact_rows(500, 9, today=day), *prospect_rows(500, 9, today=day)]
        return [(r["name"], r["email"], r["phone"]) for r in rows]

    assert who(TODAY) == who(date(2027, 3, 1))
