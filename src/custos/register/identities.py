"""The ways a person is recognised: normalising them (the blind index only matches exact, normalised values),
and `person_keys`, the one reading of a register person's identities that every search elsewhere starts from."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.crypto import KeyRing
from custos.errors import InvalidInput, Problem
from custos.register.models import Identity, Person
from custos.register.sealed import value_of

IdentityKind = Literal["email", "phone", "external"]
# How a connected system's identity columns name the same kinds (`external` is an `external_id` there).
SearchKind = Literal["email", "phone", "external_id"]


class IdentityError(ValueError):
    """A value that cannot be an email address or phone number; the message says why."""


# Plain ASCII addresses, the vast majority, are checked here; anything else (quoted local parts,
# internationalised domains, odd lengths) goes through email-validator's full RFC 5322/IDNA checks.
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
)


def normalise_email(value: str) -> str:
    candidate = value.strip().lower()
    if len(candidate) <= 254 and len(candidate.partition("@")[0]) <= 64 and _PLAIN_EMAIL.fullmatch(candidate):
        return candidate
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise IdentityError(f"{value!r} is not a valid email address: {exc}") from None
    # Domains are case-insensitive by standard; local parts are in practice, and matching must not miss.
    return result.normalized.lower()


def normalise_phone(value: str, region: str | None) -> str:
    """E.164 form. A number written without a country code is read in `region`, the organisation's phone
    region (`policy.jurisdiction.phone_region`); with no region, only numbers with a country code are taken."""
    try:
        number = phonenumbers.parse(value.strip(), region)
    except phonenumbers.NumberParseException as exc:
        raise IdentityError(f"{value!r} is not a phone number: {exc}") from None
    if not phonenumbers.is_valid_number(number):
        raise IdentityError(f"{value!r} is not a valid phone number (write it as {phone_example(region)})")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def phone_example(region: str | None) -> str:
    """A number of `region` written with its country code, to show how a number is written."""
    example = phonenumbers.example_number(region) if region else None
    if example is None:
        return "+<country code> <number>"
    return str(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def normalise(kind: IdentityKind, value: str, region: str | None = None) -> str:
    """`region`: the organisation's phone region, for a phone number written without a country code."""
    if kind == "email":
        return normalise_email(value)
    if kind == "phone":
        return normalise_phone(value, region)
    stripped = value.strip()
    if not stripped:
        raise IdentityError("an external id cannot be empty")
    return stripped


@dataclass(frozen=True)
class SubjectKeys:
    """Normalised identity values: emails lower-cased, phones in E.164, external ids as given."""

    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    external_ids: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, *, emails: tuple[str, ...] | list[str] = (), phones: tuple[str, ...] | list[str] = (),
        external_ids: tuple[str, ...] | list[str] = (), phone_region: str | None = None,
    ) -> SubjectKeys:  # fmt: skip
        """Normalise values as typed by a person; raises InvalidInput naming the value that is not usable.

        A phone number without a country code is read in `phone_region` (the policy's jurisdiction)."""
        problems: list[Problem] = []
        normalised_emails: list[str] = []
        normalised_phones: list[str] = []
        for value in emails:
            try:
                normalised_emails.append(normalise_email(value))
            except IdentityError as exc:
                problems.append(Problem(location="email", message=str(exc)))
        for value in phones:
            try:
                normalised_phones.append(normalise_phone(value, phone_region))
            except IdentityError as exc:
                problems.append(Problem(location="phone", message=str(exc)))
        if problems:
            raise InvalidInput("an identity value is not usable", problems)
        ids = [value.strip() for value in external_ids if value.strip()]
        return cls(_unique(normalised_emails), _unique(normalised_phones), _unique(ids))

    def values(self, kind: SearchKind) -> tuple[str, ...]:
        if kind == "email":
            return self.emails
        if kind == "phone":
            return self.phones
        return self.external_ids

    def plus(self, *, emails: tuple[str, ...] = (), phones: tuple[str, ...] = ()) -> SubjectKeys:
        """These keys with more addresses in front (a request's own contact details), each value once."""
        return SubjectKeys(_unique([*emails, *self.emails]), _unique([*phones, *self.phones]), self.external_ids)

    def __bool__(self) -> bool:
        return bool(self.emails or self.phones or self.external_ids)


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def person_keys(
    session: Session, keys: KeyRing, *, ref: str | None = None, person_id: int | None = None
) -> SubjectKeys:
    """Every identity the register holds for one person (by `ref` or by `person_id`), in the order they were
    added, each under its own kind: a request's drive and a retention sweep search the connected systems with
    the same keys. No person (or none named) is no keys."""
    query = select(Identity.kind, Identity.value_enc).order_by(Identity.id)
    if person_id is not None:
        query = query.where(Identity.person_id == person_id)
    elif ref is not None:
        query = query.join(Person).where(Person.ref == ref)
    else:
        return SubjectKeys()
    found: dict[str, list[str]] = {"email": [], "phone": [], "external": []}
    for kind, blob in session.execute(query):
        found[kind].append(value_of(keys, blob))
    return SubjectKeys(_unique(found["email"]), _unique(found["phone"]), _unique(found["external"]))
