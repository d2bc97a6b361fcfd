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
    ("raw", "region", "expected"),
    [
        ("070-123 45 67", "SE", "+46701234567"),
        ("+46 8 123 456 78", "SE", "+46812345678"),
        ("+47 22 12 34 56", "SE", "+4722123456"),
        ("087 123 4567", "IE", "+353871234567"),  # an Irish mobile, read in the Irish example's region
        ("+46 8 123 456 78", "IE", "+46812345678"),  # a country code wins over the region
        ("+353 1 234 5678", None, "+35312345678"),  # without a region, a number with its country code still reads
    ],
)
def test_phones_become_e164_read_in_the_organisations_region(raw: str, region: str | None, expected: str) -> None:
    assert normalise_phone(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "region"), [("12", "SE"), ("phone", "SE"), ("+46 70 123", "SE"), ("070-123 45 67", None)]
)
def test_bad_phones_are_refused(raw: str, region: str | None) -> None:
    with pytest.raises(IdentityError):
        normalise_phone(raw, region)


def test_a_refused_phone_is_shown_how_to_write_one_of_the_region() -> None:
    with pytest.raises(IdentityError, match=r"\+353"):
        normalise_phone("12", "IE")
