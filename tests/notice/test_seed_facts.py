"""The notice generated from the example policy states every fact of the published Elastx policy."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from custos.notice import load_wording, notice_document, render_notice_html, render_notice_markdown
from custos.policy import Policy

# Each fact of seed-privacy-policy-2024-03-25.txt, as the phrases that must appear (case-insensitive).
SEED_FACTS: dict[str, list[str]] = {
    "categories of people": [
        "Customer contacts",
        "a system administrator, a system owner",
        "Prospects",
        "sales meetings, fairs, conferences",
        "Employees",
        "Supplier contacts",
        "Partner contacts",
    ],
    "fields kept": ["Name", "Role towards Elastx", "Email address", "Phone number"],
    "uses for customer contacts": ["mailings, selections and simple customer care analyses"],
    "customers: while a customer, then at most ten years": [
        "Kept while your organisation is a customer of ours, and deleted at most ten years after it stops being one."
    ],
    "prospects: up to ten years, long sales cycles, balancing of interests": [
        "Deleted at most ten years after we were last in contact with you.",
        "Sales cycles in the industry can sometimes be very long",
        "a balancing of interests (GDPR Art. 6(1)(f))",
    ],
    "employees, suppliers, partners: ten years after the relationship ends": [
        "Deleted at most ten years after the employment ended.",
        "Kept while your organisation is a supplier of ours, and deleted at most ten years after it stops being one.",
        "Kept while your organisation is a partner of ours, and deleted at most ten years after it stops being one.",
        "may be registered again if we meet under new circumstances",
    ],
    "salaries, invoices, taxes and fees": ["To pay salaries", "To pay invoices", "To pay taxes and fees"],
    "permanent deletion, and where to ask": [
        "You can always ask to be permanently deleted from our systems: write to support@elastx.se.",
    ],
    "registered people notice it by regular email": ["regularly receiving information by email"],
    "controller and processor": [
        "Elastx is the controller of the personal data described in this notice",
        "In Elastx Cloud Platform, Elastx is a processor (GDPR Art. 28)",
        "turn to that company",
        "no opinions on or knowledge of what information its customers store",
    ],
    "security measures": [
        "consistent with industry standards",
        "Only a limited proportion of employees have access",
        "per installation and environment",
    ],
    "incident routine": ["Elastx has a routine to report and handle personal data breaches", "72 hours"],
    "DP person supported by the CTO": [
        "Responsible for data protection",
        "Designated Data Protection (DP) person",
        "With support from",
        "Chief Technology Officer (CTO)",
    ],
    "contact addresses": ["privacy@elastx.com", "support@elastx.se", "info@elastx.se", "support.elastx.se"],
    "who to contact for what": [
        "Privacy questions and your rights under the GDPR",
        "a support ticket in the customer portal",
        "If you are not a customer",
    ],
    "rights": [
        "Access (GDPR Art. 15)",
        "Rectification (GDPR Art. 16)",
        "Erasure (GDPR Art. 17)",
        "Restriction (GDPR Art. 18)",
        "Objection (GDPR Art. 21)",
        "Data portability (GDPR Art. 20)",
        "complain to the supervisory authority, IMY (Integritetsskyddsmyndigheten)",
    ],
    "cookies explained": ["first-party cookie", "third-party cookie", "session cookie", "persistent cookie"],
    "Piwik Pro for web analytics": ["Elastx uses Piwik PRO for web analytics", "privacy information from Piwik PRO"],
    "each cookie's name and lifetime": [
        "_pk_id.*",
        "Persistent cookie: kept for 365 days",
        "_pk_ses.*",
        "Persistent cookie: kept for 30 minutes",
        "First party (this website)",
    ],
    "cookie choices: accept or reject, withdraw via the icon lower left": [
        "you choose whether to accept or reject the cookies that are not necessary",
        "withdraw your consent at any time by clicking the cookie icon in the lower left corner",
    ],
    "consent valid at most 365 days": ["Your choice is valid for at most 365 days."],
    "no consent from continued browsing": ["Continuing to browse without choosing is not consent"],
    "versions": ["Version of 2024-03-25", "Previous version: 2023-10-03", "This version applies from 2024-03-25."],
}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).casefold()


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return _normalise(" ".join(parser.parts).replace(" .", "."))


def markdown_text(markdown: str) -> str:
    # Undo Markdown escapes and link targets so the text reads as a person sees it.
    text = re.sub(r"\]\(<[^>]*>\)", "]", markdown)
    text = re.sub(r"\\(.)", r"\1", text).replace("`", "").replace("**", "").replace("[", "").replace("]", "")
    return _normalise(text)


@pytest.fixture(params=["html", "markdown"])
def english_text(request: pytest.FixtureRequest, example_policy: Policy) -> str:
    words = load_wording("en")
    document = notice_document(example_policy, words)
    if request.param == "html":
        return html_text(render_notice_html(document, words))
    return markdown_text(render_notice_markdown(document, words))


@pytest.mark.parametrize("fact", sorted(SEED_FACTS))
def test_the_notice_states_each_fact_of_the_seed_policy(english_text: str, fact: str) -> None:
    missing = [phrase for phrase in SEED_FACTS[fact] if _normalise(phrase) not in english_text]
    assert not missing, f"{fact}: the notice does not say {missing}"


def test_the_notice_never_says_browsing_is_consent(english_text: str) -> None:
    # The seed's "we will assume that you agree" is not lawful consent (Planet49); Custos does not say it.
    assert "assume that you agree" not in english_text
    assert "continue to browse" not in english_text


def test_swedish_notice_states_the_key_facts(example_policy: Policy) -> None:
    words = load_wording("sv")
    document = notice_document(example_policy, words)
    html = render_notice_html(document, words)
    text = html_text(html)
    assert '<html lang="sv">' in html
    for phrase in (
        "Integritetspolicy – Elastx",
        "Sparas så länge din organisation är kund hos oss, "
        "och raderas senast tio år efter att den har slutat vara kund.",
        "Raderas senast tio år efter att anställningen upphörde.",
        "Raderas senast tio år efter att vi senast hade kontakt med dig.",
        "intresseavvägning (GDPR art. 6.1 f)",
        "Du kan alltid be om att bli permanent raderad från våra system: skriv till support@elastx.se.",
        "godkänna eller avvisa",
        "cookie-ikonen i nedre vänstra hörnet",
        "Ditt val gäller i högst 365 dagar.",
        "Att fortsätta surfa utan att välja är inte ett samtycke",
        "IMY (Integritetsskyddsmyndigheten)",
        "Föregående version: 2023-10-03",
        "privacy@elastx.com",
        "info@elastx.se",
        # The policy's own cookie texts, in their Swedish wording
        "Analys",
        "Håller ihop sidvisningarna under ett besök till en session.",
    ):
        assert _normalise(phrase) in text, phrase
    assert "Groups page views of one visit into a session." not in text
    markdown = markdown_text(render_notice_markdown(document, words))
    assert _normalise("Raderas senast tio år efter att anställningen upphörde.") in markdown
