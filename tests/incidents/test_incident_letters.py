"""Art. 34: high-risk letters go over SMTP to exactly the affected people, each send recorded and audited."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from incident_helpers import OFFICER, AddOrg, AddPerson, OpenIncident
from sqlalchemy import select

from custos.audit.models import AuditEvent
from custos.errors import Conflict, InvalidInput
from custos.incidents import service, subjects
from custos.incidents.schemas import IncidentUpdate, SubjectExceptionCreate
from custos.mail import SmtpMailer
from custos.mail.sender import Message as Letter
from custos.runtime import Runtime
from custos.settings import Settings
from smtp_catch import CaughtMail


@pytest.fixture
def scenario(add_org: AddOrg, add_person: AddPerson) -> dict[str, Any]:
    """Two customers; contacts at each, a prospect, and a contact without an email address."""
    kund_a, kund_b = add_org("Kund A AB"), add_org("Kund B AB")
    refs = {
        "anna": add_person("Anna Lind", "anna@kund-a.se", "customer_contact", kund_a),
        "bo": add_person("Bo Ek", "bo@kund-a.se", "customer_contact", kund_a),
        "nils": add_person("Nils Utan", None, "customer_contact", kund_a),
        "cia": add_person("Cia Berg", "cia@kund-b.se", "customer_contact", kund_b),
        "pia": add_person("Pia Prospekt", "pia@example.se", "prospect"),
    }
    return {"kund_a": kund_a, "kund_b": kund_b, "refs": refs}


def test_letters_reach_exactly_the_people_in_scope(
    runtime: Runtime, open_incident: OpenIncident, scenario: dict[str, Any], smtp: tuple[CaughtMail, int]
) -> None:
    inbox, port = smtp
    incident = open_incident(
        systems=["crm"],
        subject_categories=["customer_contact"],
        organisation_ids=[scenario["kund_a"]],
        data_categories=["contact.name", "contact.email"],
        consequences="You may receive phishing emails that look like they come from us.",
        measures_taken="We closed the export and reset the API keys.",
        risk="high",
        risk_reasoning="email addresses with names, likely phishing",
    )
    with runtime.work(OFFICER) as work:
        counted = service.count_scope(work, incident.id, apply=True)
    assert (counted.subjects, counted.records) == (3, 3)

    mailer = SmtpMailer(host="127.0.0.1", port=port, sender="privacy@elastx.com")
    counts = subjects.send_letters(runtime, OFFICER, incident.id, mailer, "sv")
    assert counts == {"no_address": 1, "sent": 2}
    assert inbox.recipients == ["anna@kund-a.se", "bo@kund-a.se"]
    letter = inbox.messages[0]
    assert letter["Subject"] == "Information om en personuppgiftsincident hos Elastx"
    body = letter.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "phishing" in body
    assert "privacy@elastx.com" in body
    assert "Hej Anna Lind" in body

    # Run again: nobody is written to twice.
    again = subjects.send_letters(runtime, OFFICER, incident.id, mailer, "sv")
    with runtime.work(OFFICER) as work:
        listed = {row.person_ref: row.state for row in subjects.list_letters(work, incident.id)}
        audited = list(
            work.session.scalars(
                select(AuditEvent.subject).where(AuditEvent.action == "incident.letter", AuditEvent.outcome == "ok")
            )
        )
    assert again == {"already_sent": 2, "no_address": 1}
    assert len(inbox.messages) == 2
    refs = scenario["refs"]
    assert listed == {refs["anna"]: "sent", refs["bo"]: "sent", refs["nils"]: "no_address"}
    assert sorted(audited) == sorted([refs["anna"], refs["bo"]])


def test_letters_only_for_high_risk_and_not_after_an_exception(
    runtime: Runtime, open_incident: OpenIncident, scenario: dict[str, Any], smtp: tuple[CaughtMail, int]
) -> None:
    inbox, port = smtp
    mailer = SmtpMailer(host="127.0.0.1", port=port, sender="privacy@elastx.com")
    incident = open_incident(subject_categories=["prospect"], risk="risk", risk_reasoning="names only")
    with pytest.raises(InvalidInput, match=r"Art\. 34\(1\)"):
        subjects.send_letters(runtime, OFFICER, incident.id, mailer, "en")
    with runtime.work(OFFICER) as work:
        update = IncidentUpdate(risk="high", risk_reasoning="the data was decryptable after all")
        service.update_incident(work, incident.id, update)
        exception = SubjectExceptionCreate(
            exception="disproportionate_effort", reasoning="thousands of visitors", public_notice="Banner on elastx.se"
        )
        shown = service.record_subject_exception(work, incident.id, exception)
    with pytest.raises(Conflict, match="exception"):
        subjects.send_letters(runtime, OFFICER, incident.id, mailer, "en")
    assert shown.timeline[-1].kind == "subject_exception"
    assert shown.public_notice == "Banner on elastx.se"
    assert inbox.messages == []
    with pytest.raises(ValueError, match="public notice"):
        SubjectExceptionCreate(exception="disproportionate_effort", reasoning="too many people to write to")


@pytest.fixture
def settings(settings: Settings, smtp: tuple[CaughtMail, int]) -> Settings:
    """The suite's settings with the test SMTP server configured."""
    return replace(settings, smtp_host="127.0.0.1", smtp_port=smtp[1], mail_from="dpo@elastx.com")


def test_letters_over_the_api_in_english(
    client: TestClient, scenario: dict[str, Any], smtp: tuple[CaughtMail, int]
) -> None:
    inbox, _ = smtp
    body = {
        "summary": "A prospect list was emailed to the wrong address",
        "reported_by": "Sales",
        "kinds": ["confidentiality"],
        "subject_categories": ["prospect"],
        "risk": "high",
        "risk_reasoning": "personal emails",
    }
    incident = client.post("/api/v1/incidents", json=body).json()
    sent = client.post(f"/api/v1/incidents/{incident['id']}/letters", json={"language": "en"})
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"sent": 1}
    assert inbox.recipients == ["pia@example.se"]
    assert inbox.messages[0]["From"] == "dpo@elastx.com"
    assert inbox.messages[0]["Subject"] == "Information about a personal data breach at Elastx"
    assert client.get(f"/api/v1/incidents/{incident['id']}").json()["letters"] == {"sent": 1}


class _CrashAfter:
    """A mailer that delivers `n` letters and then dies, as a process killed mid-run would."""

    def __init__(self, n: int) -> None:
        self.left = n
        self.to: list[str] = []

    def send(self, message: Letter) -> None:
        if self.left == 0:
            raise RuntimeError("the process died")
        self.left -= 1
        self.to.append(message.to)


def test_a_run_that_dies_half_way_keeps_the_letters_already_sent(
    runtime: Runtime, open_incident: OpenIncident, scenario: dict[str, Any]
) -> None:
    incident = open_incident(
        subject_categories=["customer_contact"],
        organisation_ids=[scenario["kund_a"]],
        risk="high",
        risk_reasoning="email addresses with names, likely phishing",
    )
    first = _CrashAfter(1)
    with pytest.raises(RuntimeError, match="died"):
        subjects.send_letters(runtime, OFFICER, incident.id, first, "en")
    again = _CrashAfter(10)
    counts = subjects.send_letters(runtime, OFFICER, incident.id, again, "en")
    assert counts == {"already_sent": 1, "no_address": 1, "sent": 1}
    assert sorted(first.to + again.to) == ["anna@kund-a.se", "bo@kund-a.se"]
