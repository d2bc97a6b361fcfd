"""The policy's consent texts per language, and its consent settings that older policies do not have: a text is
one string for every language or one per language (all of them, or the file is refused with the line), the
banner speaks the page's language, and settings left at their defaults do not change the policy's hash (so
an upgrade does not ask every visitor again)."""

from __future__ import annotations

from pathlib import Path

import pytest

from custos.consent.terms import banner_config, terms_for
from custos.errors import PolicyInvalid
from custos.policy import Policy, parse_policy

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "elastx" / "policy.yaml"
CATEGORY = "      name: {en: Analytics, sv: Analys}"


def _variant(old: str, new: str) -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new)


def test_a_text_per_language_reaches_the_banner_in_that_language() -> None:
    policy = parse_policy(EXAMPLE.read_text(encoding="utf-8"), "elastx")
    terms = terms_for(policy)
    names = {lang: banner_config(policy, lang, terms)["categories"][0]["name"] for lang in ("en", "sv")}
    assert names == {"en": "Analytics", "sv": "Analys"}
    # Code that knows no language reads the English text, as it did before texts had languages.
    assert policy.consent is not None
    assert policy.consent.categories[0].name == "Analytics"


def test_one_plain_text_serves_every_language() -> None:
    policy = parse_policy(_variant(CATEGORY, "      name: Analytics"), "plain")
    terms = terms_for(policy)
    assert banner_config(policy, "sv", terms)["categories"][0]["name"] == "Analytics"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("{en: Analytics}", "no `sv` text"),
        ("{en: Analytics, sv: Analys, de: Analytik}", "unknown language de"),
        ("{en: Analytics, sv: ''}", "no `sv` text"),
    ],
)
def test_a_missing_or_unknown_language_is_an_error_with_its_line(name: str, message: str) -> None:
    with pytest.raises(PolicyInvalid) as caught:
        parse_policy(_variant(CATEGORY, f"      name: {name}"), "broken")
    [problem] = caught.value.problems
    assert problem.location == "consent.categories[0].name"
    assert message in problem.message
    assert problem.line is not None
    assert problem.hint


def test_a_site_must_be_an_origin() -> None:
    text = _variant("  gpc_honoured: true\n", "  gpc_honoured: true\n  sites: [https://www.elastx.se/cookies]\n")
    with pytest.raises(PolicyInvalid) as caught:
        parse_policy(text, "broken")
    [problem] = caught.value.problems
    assert problem.location == "consent.sites[0]"
    assert "not a web origin" in problem.message


def test_settings_at_their_defaults_keep_the_policy_hash() -> None:
    plain = parse_policy(EXAMPLE.read_text(encoding="utf-8"), "elastx")
    spelled = _variant(
        "  gpc_honoured: true\n",
        "  gpc_honoured: true\n  sites: []\n  adapters: {piwik_pro: container, google_consent_mode: false}\n",
    )
    assert parse_policy(spelled, "spelled").content_hash() == plain.content_hash()
    used = _variant("  gpc_honoured: true\n", "  gpc_honoured: true\n  adapters: {piwik_pro: consent_api}\n")
    with_api: Policy = parse_policy(used, "used")
    assert with_api.content_hash() != plain.content_hash()
    assert with_api.consent is not None
    assert with_api.consent.adapters.piwik_pro == "consent_api"
