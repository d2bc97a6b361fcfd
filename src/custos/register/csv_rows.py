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
    errors: list[str] = []

    def text(column: str) -> str | None:
        value = (raw.get(column) or "").strip()
        return value or None

    def day(column: str) -> date | None:
        value = text(column)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            errors.append(f"{column} {value!r} is not a date (write YYYY-MM-DD)")
            return None

    name = text("name")
    if name is None:
        errors.append("name is empty")
    email = phone = None
    if (raw_email := text("email")) is not None:
        try:
            email = normalise_email(raw_email)
        except IdentityError as exc:
            errors.append(f"email: {exc}")
    if (raw_phone := text("phone")) is not None:
        try:
            phone = normalise_phone(raw_phone, phone_region)
        except IdentityError as exc:
            errors.append(f"phone: {exc}")
    if raw_email is None and raw_phone is None:
        errors.append("needs an email or a phone number to recognise the person")
    organisation, org_number = text("organisation"), text("org_number")
    if kind == "contacts" and organisation is None and org_number is None:
        errors.append("a customer contact needs the organisation it is a contact of")
    if kind == "contacts":
        customer_since, customer_until = day("customer_since"), day("customer_until")
        started_on, ended_on = day("started_on"), day("ended_on")
    else:
        customer_since = customer_until = ended_on = None
        started_on = day("met_on")
    last = day("last_interaction_on")
    if kind == "prospects" and last is None:
        last = started_on
    for first, second, label in (
        (customer_since, customer_until, "customer_until is before customer_since"),
        (started_on, ended_on, "ended_on is before started_on"),
    ):
        if first and second and second < first:
            errors.append(label)
    if errors:
        raise RowError("; ".join(errors))
    assert name is not None
    return ContactRow(
        line=line,
        name=name,
        title=text("title"),
        email=email,
        phone=phone,
        organisation=organisation,
        org_number=org_number,
        customer_since=customer_since,
        customer_until=customer_until,
        started_on=started_on,
        ended_on=ended_on,
        last_interaction_on=last,
        source=text("source"),
    )
