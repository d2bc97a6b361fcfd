"""The Art. 15(1) information from the policy: only the person's processing when the register knows it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from custos.errors import InvalidInput
from custos.policy import Policy
from custos.policy.cookies import LocalText
from custos.policy.loader import load_policy
from custos.requests.art15 import art15_information, render_art15_html, render_art15_text

POLICY = Path(__file__).resolve().parents[2] / "examples" / "elastx" / "policy.yaml"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(POLICY)


def _rights(info: object) -> list[str]:
    return [right.id for right in info.rights]  # type: ignore[attr-defined]


def test_without_register_facts_all_processing_is_described_and_it_says_so(policy: Policy) -> None:
    info = art15_information(policy, "en")
    assert info.scope == "all"
    assert "covers all of it" in info.scope_text
    assert [a.id for a in info.activities] == [a.id for a in policy.activities]
    # Portability (contract, consent) and withdrawal (consent) apply to some of the processing.
    assert _rights(info) == [
        "access",
        "rectification",
        "erasure",
        "restriction",
        "objection",
        "objection_marketing",
        "portability",
        "withdraw",
    ]
    assert "IMY (Integritetsskyddsmyndigheten)" in info.complaint
    assert "Art. 77" in info.complaint
    assert "Art. 22" in info.automated_decisions
    assert "Skatteverket" in " ".join(info.recipients)
    assert "Piwik PRO" in " ".join(info.recipients)


def test_a_customer_contact_gets_only_their_processing(policy: Policy) -> None:
    relationship = {
        "activity": "customer-contacts",
        "subject_category": "customer_contact",
        "source": "Cloud fair Stockholm 2025",
    }
    info = art15_information(policy, "en", relationships=[relationship])
    assert info.scope == "person"
    assert info.scope_text == "It covers the processing that concerns you as registered with us: Customer contacts."
    (activity,) = info.activities
    assert activity.legal_basis == "legitimate_interest"
    assert [item.id for item in activity.data] == ["contact.name", "contact.role", "contact.email", "contact.phone"]
    assert activity.retention.startswith("Kept while your organisation is a customer of ours")
    assert "ten years" in activity.retention
    assert activity.sources == ("Cloud fair Stockholm 2025", "The customer organisation that designated the contact.")
    assert activity.recipients == ()
    # Legitimate interest: objection, and to mailings; neither portability nor consent withdrawal.
    assert _rights(info) == ["access", "rectification", "erasure", "restriction", "objection", "objection_marketing"]
    erasure = next(r.text for r in info.rights if r.id == "erasure")
    assert "support@elastx.se" in erasure  # the policy's erasure channel for customer contacts


def test_a_subject_category_alone_selects_its_activities(policy: Policy) -> None:
    info = art15_information(policy, "en", relationships=[{"subject_category": "supplier_contact"}])
    assert [a.id for a in info.activities] == ["supplier-contacts", "bookkeeping"]
    bookkeeping = info.activities[1]
    assert bookkeeping.legal_basis == "legal_obligation"
    assert any("Bokföringslagen (1999:1078)" in line for line in bookkeeping.legal_minimums)
    assert bookkeeping.sources == ("You gave it to us yourself.",)


def test_an_employee_may_port_their_data(policy: Policy) -> None:
    info = art15_information(policy, "en", relationships=[{"activity": "employment"}, {"activity": "taxes-and-fees"}])
    assert [a.id for a in info.activities] == ["employment", "taxes-and-fees"]
    assert "portability" in _rights(info)
    assert "objection" not in _rights(info)
    assert info.activities[1].recipients == ("Skatteverket, a public authority, where the law requires it.",)


def test_unknown_relationships_fall_back_to_everything(policy: Policy) -> None:
    info = art15_information(policy, "en", relationships=[{"activity": "gone-activity", "subject_category": "x"}])
    assert info.scope == "all"


def test_swedish_wording_and_renderings(policy: Policy) -> None:
    info = art15_information(policy, "sv", relationships=[{"activity": "prospects"}])
    text = render_art15_text(info)
    assert text.startswith("Information om behandlingen av dina personuppgifter – Elastx")
    for heading in ("Ändamål:", "Rättslig grund:", "Hur länge de sparas:", "== Dina rättigheter", "== Klagomål"):
        assert heading in text
    assert "klaga hos tillsynsmyndigheten, IMY (Integritetsskyddsmyndigheten)" in text
    assert "Raderas senast tio år efter" in text
    html = render_art15_html(info)
    assert html.startswith("<section id='art15'><h2>Information om behandlingen")
    assert "<script" not in html


def test_a_swedish_letter_gives_the_policys_own_texts_in_swedish(policy: Policy) -> None:
    """Purposes, activity names and data categories are written per language in the policy; a Swedish
    information letter shows the Swedish ones, not the English fallback."""
    info = art15_information(policy, "sv", relationships=[{"activity": "prospects"}])
    prospects = next(a for a in policy.activities if a.id == "prospects")
    (activity,) = info.activities
    assert activity.name == prospects.name.in_("sv") != str(prospects.name)
    assert activity.purpose == prospects.purpose.in_("sv") != str(prospects.purpose)
    described = {c.id: c.description for c in policy.data_categories}
    assert [item.description for item in activity.data] == [described[item.id].in_("sv") for item in activity.data]
    assert any(described[item.id].in_("sv") != str(described[item.id]) for item in activity.data)
    text = render_art15_text(info)
    assert prospects.purpose.in_("sv").split()[0] in text
    assert str(prospects.purpose) not in text


def test_the_structure_is_plain_json(policy: Policy) -> None:
    info = art15_information(policy, "en")
    data = json.loads(json.dumps(info.to_dict()))
    assert data["scope"] == "all"
    assert data["authority"] == "IMY (Integritetsskyddsmyndigheten)"
    assert {c["id"] for c in data["categories"]} == {c.id for c in policy.data_categories}
    assert data["activities"][0]["purpose"] == policy.activities[0].purpose


HOSTILE = "<script>alert(1)</script>"


def test_html_escapes_policy_text(policy: Policy) -> None:
    hostile = policy.model_copy(
        update={
            "activities": [
                policy.activities[0].model_copy(update={"purpose": LocalText({"en": HOSTILE, "sv": HOSTILE})})
            ]
        }
    )
    html = render_art15_html(art15_information(hostile, "en"))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_an_unknown_language_is_refused(policy: Policy) -> None:
    with pytest.raises(InvalidInput, match="'de'"):
        art15_information(policy, "de")


def test_transfers_name_the_country_and_the_safeguard(policy: Policy) -> None:
    from custos.policy import Transfer

    analytics = next(a for a in policy.activities if a.id == "web-analytics")
    moved = analytics.model_copy(
        update={"transfers": [Transfer(country="US", safeguard="standard_contractual_clauses", recipient="Piwik PRO")]}
    )
    changed = policy.model_copy(update={"activities": [moved if a.id == moved.id else a for a in policy.activities]})
    info = art15_information(changed, "en", relationships=[{"activity": "web-analytics"}])
    (activity,) = info.activities
    assert activity.transfers == (
        "To Piwik PRO in the United States, on the basis of standard contractual clauses (GDPR Art. 46(2)(c)).",
    )
    assert "Not transferred outside the EU/EEA." not in render_art15_text(info)
    assert _rights(info)[-2:] == ["portability", "withdraw"]  # consent: portable, and can be withdrawn
