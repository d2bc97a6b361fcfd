"""The plain-language letter to each affected person (Art. 34), in English or Swedish.

Art. 34(2): the letter describes "in clear and plain language the nature of the personal data breach" and
contains at least the contact point, the likely consequences and the measures taken or proposed
(Art. 33(3)(b), (c), (d)). Free text typed by staff is used as written; the frame around it is fixed here.
"""

from __future__ import annotations

from custos.incidents.models import Incident
from custos.incidents.notification import in_language
from custos.mail import Message
from custos.policy import Policy

_TEXTS = {
    "en": {
        "subject": "Information about a personal data breach at {org}",
        "body": (
            "Hello {name},\n\n"
            "We are writing to tell you about a security incident at {org} that affects personal data about you.\n\n"
            "What happened\n{summary}\n\n"
            "Information about you that was affected\n{data}\n\n"
            "What this may mean for you\n{consequences}\n\n"
            "What we have done and will do\n{measures}\n\n"
            "Questions\nContact {contact} at {email}. You may also complain to {authority}.\n\n"
            "{org}\n"
        ),
        "unknown": "We are still finding out and will tell you more.",
    },
    "sv": {
        "subject": "Information om en personuppgiftsincident hos {org}",
        "body": (
            "Hej {name},\n\n"
            "Vi skriver för att berätta om en säkerhetsincident hos {org} som rör personuppgifter om dig.\n\n"
            "Vad som hände\n{summary}\n\n"
            "Uppgifter om dig som berörs\n{data}\n\n"
            "Vad det kan innebära för dig\n{consequences}\n\n"
            "Vad vi har gjort och kommer att göra\n{measures}\n\n"
            "Frågor\nKontakta {contact} på {email}. Du kan också klaga hos {authority}.\n\n"
            "{org}\n"
        ),
        "unknown": "Vi utreder fortfarande och återkommer med mer information.",
    },
}


def compose(incident: Incident, policy: Policy, name: str, to: str, language: str) -> Message:
    texts = _TEXTS[language if language in _TEXTS else "en"]
    org = policy.organisation
    described = {c.id: in_language(c.description, language) for c in policy.data_categories}
    data = "\n".join(f"- {described.get(c, c)}" for c in incident.data_categories) or texts["unknown"]
    measures = "\n".join(m for m in (incident.measures_taken, incident.measures_planned) if m) or texts["unknown"]
    values = {
        "org": org.name,
        "name": name,
        "summary": incident.summary,
        "data": data,
        "consequences": incident.consequences or texts["unknown"],
        "measures": measures,
        "contact": in_language(policy.data_protection.person, language),
        "email": str(org.contacts.privacy),
        "authority": org.supervisory_authority,
    }
    return Message(
        to=to,
        subject=texts["subject"].format(org=org.name),
        body=texts["body"].format(**values),
        language=language,
    )
