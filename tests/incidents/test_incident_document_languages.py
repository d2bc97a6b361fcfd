"""The Art. 33(3) document in English and in Swedish: the same items in both, the Swedish one with no English
word of its own frame, and a policy text given per language shown in the document's language."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from incident_helpers import OFFICER, OpenIncident

from custos.incidents import notification, service
from custos.incidents.notification import ART_33_3_ITEMS
from custos.policy.cookies import LocalText
from custos.runtime import Runtime
from custos.texts import read_texts

INCIDENT = {
    "aware_at": datetime(2026, 11, 28, 8, 0, tzinfo=UTC),
    "summary": "En CRM-export skickades till fel kund.",
    "kinds": ["confidentiality", "availability"],
    "systems": ["crm"],
    "data_categories": ["contact.name"],
    "subject_categories": ["customer_contact"],
    "risk": "high",
    "risk_reasoning": "namn och e-postadresser",
}
# Every fixed English word of the frame that a reader would notice in a Swedish document.
ENGLISH = (
    "Nature of the breach",
    "Data protection contact point",
    "Likely consequences",
    "Measures",
    "To follow",
    "Became aware",
    "acting as",
    "phase",
    "generated",
    "not yet known",
    "Categories of",
    "Approximate",
    "What happened",
    "Kind",
    "controller",
    "high risk",
    "confidentiality",
    "Art. 33",
)


def _keys(node: object, prefix: str = "") -> set[str]:
    if not isinstance(node, dict):
        return {prefix}
    return set().union(*(_keys(value, f"{prefix}.{key}") for key, value in node.items()))


def test_both_languages_have_the_same_wording_keys_and_placeholders() -> None:
    english, swedish = read_texts("custos.incidents", "en"), read_texts("custos.incidents", "sv")
    assert _keys(english) == _keys(swedish)
    words = {lang: notification.words(lang) for lang in ("en", "sv")}
    for key in sorted(_keys(english)):
        found = [set(re.findall(r"{(\w+)}", words[lang].text(key.lstrip(".")))) for lang in ("en", "sv")]
        assert found[0] == found[1], key


def test_the_swedish_document_is_swedish_throughout(runtime: Runtime, open_incident: OpenIncident) -> None:
    incident = open_incident(**INCIDENT)
    with runtime.work(OFFICER) as work:
        doc = service.document(work, incident.id, language="sv")
    assert doc["language"] == "sv"
    assert doc["title"] == "Anmälan av personuppgiftsincident (artikel 33 i dataskyddsförordningen)"
    assert doc["likely_consequences"] == "ännu inte känt; lämnas i ett senare skede (artikel 33.4)"
    html = notification.render_html(doc)
    assert '<html lang="sv">' in html
    for key, _, _ in ART_33_3_ITEMS:
        assert f'id="{key}"' in html
    for text in ("Incidentens art", "artikel 33.3 a", "tillgänglighet, konfidentialitet", "hög risk", "Lämnas senare"):
        assert text in html
    assert "de sannolika följderna" in html  # what is to follow, in words, not field names
    body = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    assert [word for word in ENGLISH if word in body] == []
    english = notification.render_html(_english(runtime, incident.id))
    assert "the likely consequences" in english
    assert "approx_subjects" not in english


def _english(runtime: Runtime, incident_id: int) -> dict[str, Any]:
    with runtime.work(OFFICER) as work:
        return service.document(work, incident_id, language="en")


def test_a_policy_text_per_language_is_shown_in_the_documents_language(
    runtime: Runtime, open_incident: OpenIncident
) -> None:
    incident = open_incident(**INCIDENT)
    policy = runtime.policy
    names = [
        c.model_copy(update={"description": LocalText({"en": "Name", "sv": "Namn"})}) for c in policy.data_categories
    ]
    translated = policy.model_copy(update={"data_categories": names})
    with runtime.work(OFFICER) as work:
        row = service.load(work, incident.id)
        swedish = notification.build_document(row, translated, runtime.clock.now(), language="sv")
        english = notification.build_document(row, translated, runtime.clock.now(), language="en")
    assert swedish["nature"]["data_categories"] == [{"id": "contact.name", "description": "Namn"}]
    assert english["nature"]["data_categories"] == [{"id": "contact.name", "description": "Name"}]
    assert notification.in_language("plain", "sv") == "plain"
