"""The fixed wording: both languages complete, numbers and periods in words, retention rules in plain words."""

from __future__ import annotations

import string
from importlib import resources
from typing import Any

import pytest
import yaml

from custos.errors import InvalidInput
from custos.notice import LANGUAGES, load_wording
from custos.notice.phrases import retention
from custos.policy import Duration, RetentionRule, SubjectKind


def _flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(node, dict):
        return {prefix: node}
    out: dict[str, Any] = {}
    for key, value in node.items():
        out.update(_flatten(value, f"{prefix}{key}."))
    return out


def _read(lang: str) -> dict[str, Any]:
    source = (resources.files("custos.notice") / "texts" / f"{lang}.yaml").read_text("utf-8")
    return _flatten(yaml.safe_load(source))


def _fields(value: object) -> set[str]:
    if not isinstance(value, str):
        return set()
    return {field for _, field, _, _ in string.Formatter().parse(value) if field}


def test_every_language_has_the_same_texts_and_placeholders() -> None:
    english = _read("en")
    for lang in LANGUAGES:
        other = _read(lang)
        assert other.keys() == english.keys(), lang
        different = [key for key in english if _fields(english[key]) != _fields(other[key])]
        assert not different, lang


def test_an_unknown_language_is_refused_clearly() -> None:
    with pytest.raises(InvalidInput, match="not available in 'de'"):
        load_wording("de")


@pytest.mark.parametrize(
    ("lang", "period", "said"),
    [
        ("en", "P10Y", "ten years"),
        ("en", "P1Y6M", "one year and six months"),
        ("en", "P365D", "365 days"),
        ("en", "PT30M", "30 minutes"),
        ("sv", "P10Y", "tio år"),
        ("sv", "P1Y", "ett år"),
        ("sv", "P1M", "en månad"),
        ("sv", "P1Y6M", "ett år och sex månader"),
        ("sv", "P365D", "365 dagar"),
    ],
)
def test_periods_are_said_in_words(lang: str, period: str, said: str) -> None:
    assert load_wording(lang).duration(Duration.parse(period)) == said


@pytest.mark.parametrize(
    ("rule", "kind", "said"),
    [
        (
            {"while": "organisation.is_customer", "then": "P10Y", "from": "organisation.customer_until"},
            SubjectKind.CUSTOMER_CONTACT,
            "Kept while your organisation is a customer of ours, and deleted at most ten years after it stops "
            "being one.",
        ),
        (
            {"keep": "P10Y", "from": "relationship.ended"},
            SubjectKind.PARTNER_CONTACT,
            "Deleted at most ten years after the partnership ended.",
        ),
        (
            {"while": "relationship.is_open", "then": "P2Y", "from": "relationship.ended"},
            SubjectKind.OTHER,
            "Kept while our relationship with you lasts, and deleted at most two years after it has ended.",
        ),
        (
            {"while": "organisation.is_customer", "then": "P3Y", "from": "last_interaction"},
            SubjectKind.CUSTOMER_CONTACT,
            "Kept while your organisation is a customer of ours, and deleted at most three years after we were "
            "last in contact with you.",
        ),
        (
            {"keep": "P7Y", "from": "financial_year.ended", "round": "end_of_year"},
            SubjectKind.SUPPLIER_CONTACT,
            "Deleted at most seven years after the end of the calendar year in which the financial year ended.",
        ),
    ],
)
def test_retention_rules_are_said_in_plain_words(rule: dict[str, str], kind: SubjectKind, said: str) -> None:
    assert retention(load_wording("en"), RetentionRule.model_validate(rule), [kind]) == said


def test_swedish_retention_is_grammatical() -> None:
    rule = RetentionRule.model_validate({"keep": "P1Y", "from": "relationship.ended"})
    said = retention(load_wording("sv"), rule, [SubjectKind.EMPLOYEE])
    assert said == "Raderas senast ett år efter att anställningen upphörde."


def test_a_former_contacts_bound_is_told_in_both_languages() -> None:
    rule = RetentionRule.model_validate(
        {
            "while": "organisation.is_customer",
            "then": "P10Y",
            "from": "organisation.customer_until",
            "contact_ended": {"keep": "P1Y"},
        }
    )
    english = retention(load_wording("en"), rule, [SubjectKind.CUSTOMER_CONTACT])
    assert english == (
        "Kept while your organisation is a customer of ours, and deleted at most ten years after it stops being "
        "one. If your own role ends while your organisation is still a customer of ours, your data is deleted at "
        "most one year after your role ended."
    )
    swedish = retention(load_wording("sv"), rule, [SubjectKind.CUSTOMER_CONTACT])
    assert swedish.endswith(
        "Om din egen roll upphör medan din organisation fortfarande är kund hos oss, raderas dina uppgifter "
        "senast ett år efter att din roll upphörde."
    )
