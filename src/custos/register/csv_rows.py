"""Reading one CSV row of a contacts or prospects file into a checked record, or saying what is wrong."""

from __future__ import annotations

from datetime import date
from typing import Literal, NamedTuple

from custos.register.identities import IdentityError, normalise_email, normalise_phone

ImportKind = Literal["contacts", "prospects"]

COLUMNS: dict[ImportKind, tuple[str, ...]] = {
    "contacts": (
        "name",
        "title",
        "email",
        "phone",
        "organisation",
        "org_number",
        "customer_since",
        "customer_until",
        "started_on",
        "ended_on",
        "last_interaction_on",
        "source",
    ),
    "prospects": (
        "name",
        "title",
        "email",
        "phone",
        "organisation",
        "org_number",
        "met_on",
        "last_interaction_on",
        "source",
    ),
}
REQUIRED: dict[ImportKind, tuple[str, ...]] = {
    "contacts": ("name", "email", "organisation"),
    "prospects": ("name", "email"),
}
DEFAULT_CATEGORY: dict[ImportKind, str] = {"contacts": "customer_contact", "prospects": "prospect"}


class ContactRow(NamedTuple):
    line: int
    name: str
    title: str | None
    email: str | None
    phone: str | None
    organisation: str | None
    org_number: str | None
    customer_since: date | None
    customer_until: date | None
    started_on: date | None
    ended_on: date | None
    last_interaction_on: date | None
    source: str | None


class RowError(ValueError):
    pass


def check_header(kind: ImportKind, header: list[str] | None) -> list[str]:
    """Problems with the header line; an empty list when it is usable."""
    if not header:
        return ["the file is empty; the first line must name the columns"]
    problems: list[str] = []
    allowed = COLUMNS[kind]
    unknown = [c for c in header if c not in allowed]
    if unknown:
        problems.append(f"unknown column(s) {', '.join(unknown)}; a {kind} file may have: {', '.join(allowed)}")
    missing = [c for c in REQUIRED[kind] if c not in header]
    if "email" in missing and "phone" in header:
        missing.remove("email")
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    return problems


def parse_row(kind: ImportKind, line: int, raw: dict[str, str | None], phone_region: str) -> ContactRow:
    """Raise RowError naming every bad field of the row at once."""
    return _checked(kind, line, tuple(raw.get(column) for column in _FIELDS), phone_region)


class RowParser:
    """`parse_row` for the rows of one file read as lists: the header's columns are looked up once, not per row."""

    def __init__(self, kind: ImportKind, header: list[str], phone_region: str) -> None:
        self.kind, self.phone_region = kind, phone_region
        # The last of two same-named columns wins, as it would in a csv.DictReader's row.
        position = {column: i for i, column in enumerate(header)}
        self._at = tuple(position.get(column, -1) for column in _FIELDS)

    def parse(self, line: int, fields: list[str]) -> ContactRow:
        """Raise RowError naming every bad field of the row at once; `fields` may be shorter than the header."""
        n = len(fields)
        values = tuple(fields[i] if 0 <= i < n else None for i in self._at)
        return _checked(self.kind, line, values, self.phone_region)


# Every column either kind of file can have, in the order `_checked` reads them.
_FIELDS = (
    "name",
    "title",
    "email",
    "phone",
    "organisation",
    "org_number",
    "customer_since",
    "customer_until",
    "started_on",
    "ended_on",
    "met_on",
    "last_interaction_on",
    "source",
)


def _checked(kind: ImportKind, line: int, raw: tuple[str | None, ...], phone_region: str) -> ContactRow:
    errors: list[str] = []
    # Stripped text, or None for an empty or missing field.
    (name, title, raw_email, raw_phone, organisation, org_number, *dates, source) = (
        (value.strip() or None) if value else None for value in raw
    )

    def day(column: str, value: str | None) -> date | None:
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            errors.append(f"{column} {value!r} is not a date (write YYYY-MM-DD)")
            return None

    if name is None:
        errors.append("name is empty")
    email = phone = None
    if raw_email is not None:
        try:
            email = normalise_email(raw_email)
        except IdentityError as exc:
            errors.append(f"email: {exc}")
    if raw_phone is not None:
        try:
            phone = normalise_phone(raw_phone, phone_region)
        except IdentityError as exc:
            errors.append(f"phone: {exc}")
    if raw_email is None and raw_phone is None:
        errors.append("needs an email or a phone number to recognise the person")
    if kind == "contacts" and organisation is None and org_number is None:
        errors.append("a customer contact needs the organisation it is a contact of")
    raw_since, raw_until, raw_started, raw_ended, raw_met, raw_last = dates
    if kind == "contacts":
        customer_since, customer_until = day("customer_since", raw_since), day("customer_until", raw_until)
        started_on, ended_on = day("started_on", raw_started), day("ended_on", raw_ended)
    else:
        customer_since = customer_until = ended_on = None
        started_on = day("met_on", raw_met)
    last = day("last_interaction_on", raw_last)
    if kind == "prospects" and last is None:
        last = started_on
    if customer_since and customer_until and customer_until < customer_since:
        errors.append("customer_until is before customer_since")
    if started_on and ended_on and ended_on < started_on:
        errors.append("ended_on is before started_on")
    if errors:
        raise RowError("; ".join(errors))
    assert name is not None
    return ContactRow(
        line=line,
        name=name,
        title=title,
        email=email,
        phone=phone,
        organisation=organisation,
        org_number=org_number,
        customer_since=customer_since,
        customer_until=customer_until,
        started_on=started_on,
        ended_on=ended_on,
        last_interaction_on=last,
        source=source,
    )
