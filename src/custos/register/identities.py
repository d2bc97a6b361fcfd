"""Normalising the ways a person is recognised: the blind index only matches exact, normalised values."""

from __future__ import annotations

import re
from typing import Literal

import phonenumbers
from email_validator import EmailNotValidError, validate_email

IdentityKind = Literal["email", "phone", "external"]


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
