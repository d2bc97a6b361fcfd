"""A synthetic, deterministic register of any size, streamed row by row.

The same seed and reference date always give the same people. Nothing is held in memory per person:
every email address and phone number is unique by construction rather than by remembering what was
handed out. Organisations are numbered, and an organisation's name, number and domain are a bijection of
its number; phone numbers are a bijection of a counter; email local parts only need to be unique within
their organisation's domain (or carry the row counter on a shared personal domain), so the only memory
kept is a per-domain count of name spellings, bounded by the size of the name lists.
"""

from __future__ import annotations

import csv
import math
import random
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from custos.demo import _names as words
from custos.register.csv_rows import COLUMNS, ImportKind
from custos.register.schemas import OrganisationCreate, PersonCreate, RelationshipCreate, RoleSpan

Row = dict[str, str]
RowsWritten = Callable[[int], None]
Space = Literal["customers", "prospects", "suppliers", "partners"]

# Each kind of organisation draws from its own residue class of organisation numbers, so a customer and a
# supplier never share a name, number or domain, and the files can all go into one register.
_SPACES: dict[Space, int] = {"customers": 0, "prospects": 1, "suppliers": 2, "partners": 3}
# Likewise each stream of people gets its own residue class of phone numbers (identities are unique in the
# register, so two people must never share a number).
_PHONE_STREAMS = {"contacts": 0, "prospects": 1, "employees": 2, "suppliers": 3, "partners": 4}
# Numbers are drawn by x = (i * step + offset) mod space: a permutation of the space whenever step is
# coprime with it. Each step is about space × 0.618 (the golden ratio), which spreads neighbouring i far
# apart so the numbers look random; the tests check each is coprime with its space.
_OFFSET = 28_319_466
_ORG_NUMBERS = 8_000_000  # 55[2-9]NNNNNN: third digit >= 2 marks a legal person in Swedish numbering
_ORG_STEP = 4_944_271
_MOBILES = ("70", "72", "73", "76", "79")
_MOBILE_SPACE = len(_MOBILES) * 10**7
_MOBILE_STEP = 30_901_699
_STOCKHOLM_SPACE = 9 * 10**7  # 8-digit subscriber numbers not starting with 0
_STOCKHOLM_STEP = 55_623_059


@dataclass(frozen=True, slots=True)
class DemoOrganisation:
    name: str
    org_number: str | None
    domain: str


@dataclass(frozen=True)
class Affiliation:
    """A supplier or partner organisation and the people we know there.

    The people's relationships have no organisation id yet: the caller creates the organisation first.
    """

    organisation: OrganisationCreate
    people: list[PersonCreate] = field(default_factory=list)


def write_contacts_csv(
    path: Path, n: int, seed: int, *, today: date | None = None, progress: RowsWritten | None = None
) -> int:
    """Write `n` customer contacts in the import format; returns the number of rows written.

    `today` is the reference date the dates are spread back from (default: the system date).
    """
    return _write(path, "contacts", contact_rows(n, seed, today=today or date.today()), progress)


def write_prospects_csv(
    path: Path, n: int, seed: int, *, today: date | None = None, progress: RowsWritten | None = None
) -> int:
    return _write(path, "prospects", prospect_rows(n, seed, today=today or date.today()), progress)


def _write(path: Path, kind: ImportKind, rows: Iterator[Row], progress: RowsWritten | None) -> int:
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS[kind])
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
            if progress is not None and count % 1000 == 0:
                progress(count)
    if progress is not None:
        progress(count)
    return count


def contact_rows(n: int, seed: int, *, today: date) -> Iterator[Row]:
    """Customer contacts, grouped by organisation as a CRM export would be."""
    rng, when = _randoms("contacts", seed)
    phones = _PhoneBook("contacts")
    emitted = 0
    org_index = 0
    while emitted < n:
        org = demo_organisation("customers", org_index)
        org_index += 1
        since = today - timedelta(days=when.randint(30, 15 * 365))
        until: date | None = None
        # Some organisations have left; spread so that some left more than ten years ago.
        if rng.random() < 0.18 and since + timedelta(days=90) < today:
            until = _day_between(when, since + timedelta(days=90), today)
        end = until or today
        emails = _Mailbox(org.domain, rng.choice(_STYLES))
        for _ in range(min(n - emitted, _group_size(rng))):
            first, last = _person_name(rng)
            started = _day_between(when, since, end)
            ended = _day_between(when, started, end) if rng.random() < 0.12 else None
            yield {
                "name": f"{first} {last}",
                "title": rng.choice(words.TITLES_CUSTOMER) if rng.random() < 0.85 else "",
                "email": emails.address(first, last),
                "phone": phones.next(rng) if rng.random() < 0.7 else "",
                "organisation": org.name,
                "org_number": org.org_number or "",
                "customer_since": since.isoformat(),
                "customer_until": _iso(until),
                "started_on": started.isoformat(),
                "ended_on": _iso(ended),
                "last_interaction_on": _day_between(when, started, ended or end).isoformat(),
                "source": rng.choice(words.CONTACT_SOURCES),
            }
            emitted += 1


def prospect_rows(n: int, seed: int, *, today: date) -> Iterator[Row]:
    """Prospects met at fairs, conferences and meetings over the last twelve years.

    Twelve, not ten, so that a demo register always holds prospects the ten-year rule should remove.
    """
    rng, when = _randoms("prospects", seed)
    phones = _PhoneBook("prospects")
    emitted = 0
    org_index = 0
    while emitted < n:
        met_on, source = _encounter(rng, when, today)
        if rng.random() < 0.15:
            # Met as a private person: a personal address, made unique by the row counter (names have no
            # digits, so `anna.berg12` can only be row 12's Anna Berg).
            org: DemoOrganisation | None = None
            group = 1
            first, last = _person_name(rng)
        else:
            org = demo_organisation("prospects", org_index)
            org_index += 1
            group = min(n - emitted, rng.choice((1, 1, 1, 2, 2, 3)))
        emails = _Mailbox(org.domain, rng.choice(_STYLES)) if org else None
        for _ in range(group):
            if emails is not None:
                first, last = _person_name(rng)
                email = emails.address(first, last)
            else:
                email = f"{_local(first, last, 'first.last')}{emitted}@{rng.choice(words.PERSONAL_DOMAINS)}"
            followed_up = rng.random() < 0.55
            yield {
                "name": f"{first} {last}",
                "title": rng.choice(words.TITLES_PROSPECT) if org and rng.random() < 0.8 else "",
                "email": email,
                "phone": phones.next(rng) if rng.random() < 0.55 else "",
                "organisation": org.name if org else "",
                "org_number": (org.org_number or "") if org else "",
                "met_on": met_on.isoformat(),
                "last_interaction_on": min(today, met_on + timedelta(days=when.randint(1, 500))).isoformat()
                if followed_up
                else "",
                "source": source,
            }
            emitted += 1


def employees(n: int, seed: int, *, today: date, domain: str) -> Iterator[PersonCreate]:
    """Current and former employees; about a third have left."""
    rng, when = _randoms("employees", seed)
    phones = _PhoneBook("employees")
    emails = _Mailbox(domain, "first.last")
    for _ in range(n):
        first, last = _person_name(rng)
        started = today - timedelta(days=when.randint(14, 16 * 365))
        ended = (
            _day_between(when, started + timedelta(days=7), today)
            if rng.random() < 0.33 and started + timedelta(days=7) < today
            else None
        )
        yield PersonCreate(
            name=f"{first} {last}",
            title=rng.choice(words.TITLES_EMPLOYEE),
            emails=[emails.address(first, last)],
            phones=[phones.next(rng)] if rng.random() < 0.9 else [],
            relationships=[
                RelationshipCreate(
                    subject_category="employee",
                    started_on=started,
                    ended_on=ended,
                    collected_on=started,
                    source="Employment contract",
                )
            ],
        )


def supplier_contacts(n: int, seed: int, *, today: date) -> Iterator[Affiliation]:
    return _affiliations("suppliers", n, seed, today)


def partner_contacts(n: int, seed: int, *, today: date) -> Iterator[Affiliation]:
    return _affiliations("partners", n, seed, today)


def _affiliations(space: Literal["suppliers", "partners"], n: int, seed: int, today: date) -> Iterator[Affiliation]:
    rng, when = _randoms(space, seed)
    phones = _PhoneBook(space)
    role, category, titles, source = (
        ("supplier", "supplier_contact", words.TITLES_SUPPLIER, "Supplier agreement")
        if space == "suppliers"
        else ("partner", "partner_contact", words.TITLES_PARTNER, "Partner agreement")
    )
    emitted = 0
    org_index = 0
    while emitted < n:
        org = demo_organisation(space, org_index)
        org_index += 1
        since = today - timedelta(days=when.randint(60, 14 * 365))
        until = (
            _day_between(when, since + timedelta(days=30), today)
            if rng.random() < 0.25 and since + timedelta(days=30) < today
            else None
        )
        end = until or today
        emails = _Mailbox(org.domain, rng.choice(_STYLES))
        people: list[PersonCreate] = []
        for _ in range(min(n - emitted, rng.randint(1, 4))):
            first, last = _person_name(rng)
            started = _day_between(when, since, end)
            ended = until or (_day_between(when, started, end) if rng.random() < 0.15 else None)
            people.append(
                PersonCreate(
                    name=f"{first} {last}",
                    title=rng.choice(titles),
                    emails=[emails.address(first, last)],
                    phones=[phones.next(rng)] if rng.random() < 0.6 else [],
                    relationships=[
                        RelationshipCreate(
                            subject_category=category,
                            started_on=started,
                            ended_on=ended,
                            last_interaction_on=_day_between(when, started, ended or end),
                            collected_on=started,
                            source=source,
                        )
                    ],
                )
            )
            emitted += 1
        yield Affiliation(
            organisation=OrganisationCreate(
                name=org.name,
                org_number=org.org_number,
                roles=[RoleSpan(role=role, started_on=since, ended_on=until)],
            ),
            people=people,
        )


def demo_organisation(space: Space, index: int) -> DemoOrganisation:
    """The `index`-th organisation of a kind; distinct (space, index) never share name, number or domain."""
    g = index * len(_SPACES) + _SPACES[space]
    combos = len(words.ORG_PREFIXES) * len(words.ORG_SUFFIXES)
    cycle, position = divmod(g, combos)
    combo = (position * _combo_step(combos)) % combos  # shuffles, so neighbours do not share a prefix
    base = (
        f"{words.ORG_PREFIXES[combo // len(words.ORG_SUFFIXES)]} {words.ORG_SUFFIXES[combo % len(words.ORG_SUFFIXES)]}"
    )
    if cycle:
        # Combinations used up: add a town, then a number (no town is a number, so no clash).
        base += f" {words.TOWNS[cycle - 1]}" if cycle <= len(words.TOWNS) else f" {cycle - len(words.TOWNS) + 1}"
    if ((g * 2_654_435_761) & 0xFFFFFFFF) % 10 == 0:
        form, tld = words.FOREIGN_FORMS[(g // 10) % len(words.FOREIGN_FORMS)]
        return DemoOrganisation(f"{base} {form}", None, f"{_slug(base)}.{tld}")
    return DemoOrganisation(f"{base} AB", org_number(g), f"{_slug(base)}.se")


def org_number(g: int) -> str:
    """A Swedish organisationsnummer (NNNNNN-NNNN, Luhn check digit) unique for every g below 8 million."""
    if not 0 <= g < _ORG_NUMBERS:
        raise ValueError(f"the demo numbering has {_ORG_NUMBERS} organisation numbers; {g} is out of range")
    x = (g * _ORG_STEP + _OFFSET) % _ORG_NUMBERS
    body = f"55{2 + x // 10**6}{x % 10**6:06d}"
    digits = body + str(luhn_check_digit(body))
    return f"{digits[:6]}-{digits[6:]}"


def luhn_check_digit(body: str) -> int:
    total = 0
    for i, ch in enumerate(body):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


def _combo_step(combos: int) -> int:
    step = 7919  # a prime; moved on if it happens to divide the number of combinations
    while math.gcd(step, combos) != 1:
        step += 2
    return step


class _PhoneBook:
    """Swedish numbers that pass `phonenumbers.is_valid_number`, never the same one twice across streams."""

    def __init__(self, stream: str) -> None:
        self._stream = _PHONE_STREAMS[stream]
        self._mobiles = 0
        self._landlines = 0

    def next(self, rng: random.Random) -> str:
        streams = len(_PHONE_STREAMS)
        if rng.random() < 0.6:
            x = self._take(self._mobiles * streams + self._stream, _MOBILE_SPACE, _MOBILE_STEP)
            self._mobiles += 1
            prefix, rest = _MOBILES[x // 10**7], f"{x % 10**7:07d}"
            # The formats people actually type; the importer normalises them all to E.164.
            return rng.choice(
                (
                    f"+46 {prefix} {rest[:3]} {rest[3:5]} {rest[5:]}",
                    f"0{prefix}-{rest[:3]} {rest[3:5]} {rest[5:]}",
                    f"+46{prefix}{rest}",
                )
            )
        x = self._take(self._landlines * streams + self._stream, _STOCKHOLM_SPACE, _STOCKHOLM_STEP)
        self._landlines += 1
        sub = f"{x + 10**7:08d}"
        return rng.choice((f"+46 8 {sub[:3]} {sub[3:6]} {sub[6:]}", f"08-{sub[:3]} {sub[3:6]} {sub[6:]}"))

    @staticmethod
    def _take(index: int, space: int, step: int) -> int:
        if index >= space:
            raise ValueError("the demo generator has run out of phone numbers")
        return (index * step + _OFFSET) % space


_STYLES = ("first.last", "first.last", "first.last", "f.last", "firstl", "first")


class _Mailbox:
    """Addresses at one domain: the style the organisation uses, with 2, 3, … added on a clash.

    Counts are kept per spelling, so memory is bounded by the name lists, not by the number of people.
    """

    def __init__(self, domain: str, style: str) -> None:
        self.domain, self.style = domain, style
        self._seen: dict[str, int] = {}

    def address(self, first: str, last: str) -> str:
        local = _local(first, last, self.style)
        count = self._seen.get(local, 0) + 1
        self._seen[local] = count
        return f"{local}{count if count > 1 else ''}@{self.domain}"


def _local(first: str, last: str, style: str) -> str:
    f, l = _slug(first), _slug(last)  # noqa: E741 - f and l mirror the style names
    if style == "f.last":
        return f"{f[0]}.{l}"
    if style == "firstl":
        return f"{f}{l[0]}".replace("-", "")
    if style == "first":
        return f
    return f"{f}.{l}"


_TRANSLITERATE = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "ł": "l", "đ": "d", "ı": "i", "'": ""})


def _slug(text: str) -> str:
    """ASCII, lower case, words joined by hyphens: `Lefèvre` -> `lefevre`, `van der Berg` -> `van-der-berg`."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_TRANSLITERATE))
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    out: list[str] = []
    gap = False
    for c in ascii_only:
        if c.isascii() and c.isalnum():
            if gap and out:
                out.append("-")
            out.append(c)
            gap = False
        else:
            gap = True
    return "".join(out)


def _randoms(stream: str, seed: int) -> tuple[random.Random, random.Random]:
    """Who (names, titles, numbers) and when (dates), drawn apart: how many random draws a date takes
    depends on the reference date, so with one stream the people would change from one day to the next,
    and seeding again on another day would give new people with old phone numbers (identities must be unique).
    """
    return random.Random(f"{stream}:{seed}"), random.Random(f"{stream}:dates:{seed}")


def _person_name(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.78:
        return rng.choice(words.SWEDISH_FIRST), rng.choice(words.SWEDISH_LAST)
    last = words.INTERNATIONAL_LAST if rng.random() < 0.8 else words.SWEDISH_LAST
    return rng.choice(words.INTERNATIONAL_FIRST), rng.choice(last)


def _group_size(rng: random.Random) -> int:
    # Most customers have a handful of contacts; a few large ones have dozens.
    return min(40, int(rng.paretovariate(1.3)) + rng.randint(0, 2))


def _encounter(rng: random.Random, when: random.Random, today: date) -> tuple[date, str]:
    if rng.random() < 0.7:
        name, month, day = rng.choice(words.EVENTS)
        year = when.randint(today.year - 12, today.year)
        held = date(year, month, day)
        if held > today:
            held = date(year - 1, month, day)
        return held, f"{name} {held.year}"
    return today - timedelta(days=when.randint(0, 12 * 365)), rng.choice(words.OTHER_SOURCES)


def _day_between(rng: random.Random, start: date, end: date) -> date:
    if end <= start:
        return start
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""
