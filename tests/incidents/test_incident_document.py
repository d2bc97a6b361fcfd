"""Art. 33(3): the generated notification contains every item the authority must receive."""

from __future__ import annotations

from datetime import UTC, datetime

from incident_helpers import OFFICER, OpenIncident

from custos.incidents import notification, service
from custos.incidents.notification import ART_33_3_ITEMS, TO_FOLLOW
from custos.runtime import Runtime

FULL = {
    "aware_at": datetime(2026, 11, 28, 8, 0, tzinfo=UTC),
    "occurred_at": datetime(2026, 11, 27, 22, 0, tzinfo=UTC),
    "summary": "A <script>alert(1)</script> CRM export was sent to the wrong customer.",
    "kinds": ["confidentiality"],
    "systems": ["crm"],
    "data_categories": ["contact.name", "contact.email"],
    "subject_categories": ["customer_contact"],
    "approx_subjects": 140,
    "approx_records": 310,
    "consequences": "Phishing emails aimed at the contacts.",
    "measures_taken": "The recipient confirmed deletion in writing.",
    "measures_planned": "Exports now need a second person's approval.",
    "risk": "risk",
    "risk_reasoning": "names and work emails only",
}


def test_json_document_has_every_art_33_3_item(runtime: Runtime, open_incident: OpenIncident) -> None:
    incident = open_incident(**FULL)
    with runtime.work(OFFICER) as work:
        doc = service.document(work, incident.id)
    assert [key for key, _, _ in ART_33_3_ITEMS if key not in doc] == []
    # (a) nature, with categories and approximate numbers of subjects and of records
    nature = doc["nature"]
    assert nature["summary"] == FULL["summary"]
    assert [c["id"] for c in nature["data_categories"]] == ["contact.name", "contact.email"]
    assert [c["id"] for c in nature["subject_categories"]] == ["customer_contact"]
    assert (nature["approx_subjects"], nature["approx_records"]) == (140, 310)
    assert nature["systems"] == [{"id": "crm", "name": "CRM", "environment": "production"}]
    # (b) the contact point, from the policy
    assert doc["contact_point"]["name"] == runtime.policy.data_protection.person
    assert doc["contact_point"]["email"] == "privacy@elastx.com"
    # (c) likely consequences, (d) measures taken and proposed
    assert doc["likely_consequences"] == FULL["consequences"]
    assert doc["measures"] == {"taken": FULL["measures_taken"], "planned": FULL["measures_planned"]}
    assert doc["to_follow"] == []
    assert doc["recipient"] == runtime.policy.organisation.supervisory_authority


def test_html_document_shows_every_item_escaped(runtime: Runtime, open_incident: OpenIncident) -> None:
    incident = open_incident(**FULL)
    with runtime.work(OFFICER) as work:
        html = notification.render_html(service.document(work, incident.id))
    for key, article, heading in ART_33_3_ITEMS:
        assert f'id="{key}"' in html
        assert heading in html
        assert f"Art. {article}" in html
    for value in ("140", "310", "Name", "Customer contacts", "privacy@elastx.com", "Phishing", "second person"):
        assert value in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_unknown_items_are_named_as_to_follow(runtime: Runtime, open_incident: OpenIncident) -> None:
    # Art. 33(4): a first notification may go out before everything is known.
    incident = open_incident()
    with runtime.work(OFFICER) as work:
        doc = service.document(work, incident.id)
    assert doc["nature"]["approx_subjects"] == TO_FOLLOW
    assert doc["likely_consequences"] == TO_FOLLOW
    assert {"approx_subjects", "approx_records", "likely_consequences", "measures_taken"} <= set(doc["to_follow"])
