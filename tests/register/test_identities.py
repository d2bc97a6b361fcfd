"""Normalising emails and phones: the blind index only matches what normalises to the same text."""

import pytest

from custos.register.identities import IdentityError, normalise_email, normalise_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Anna.Lindqvist@Example.SE ", "anna.lindqvist@example.se"),
        ("o'brien+crm@sub.example.co.uk", "o'brien+crm@sub.example.co.uk"),
        ("åsa@exempel.se", "åsa@exempel.se"),
        ("user@bücher.de", "user@bücher.de"),
    ],
)
def test_emails_normalise(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize("raw", ["not-an-address", "a@b", "a..b@example.se", ".a@example.se", "a@-x.se", "a@x.se."])
def test_bad_emails_are_refused(raw: str) -> None:
    with pytest.raises(IdentityError):
        normalise_email(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("070-123 45 67", "+46701234567"), ("+46 8 123 456 78", "+46812345678"), ("+47 22 12 34 56", "+4722123456")],
)
def test_phones_become_e164(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12", "phone", "+46 70 123"])
def test_bad_phones_are_refused(raw: str) -> None:
    with pytest.raises(IdentityError):
        normalise_phone(raw)
