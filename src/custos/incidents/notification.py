"""The notification document of Art. 33(3), built from the incident as JSON and rendered as printable HTML.

Art. 33(3) lists what a notification must at least contain: (a) the nature of the breach including, where
possible, the categories and approximate number of subjects and of records concerned; (b) the name and
contact details of the DPO or other contact point; (c) the likely consequences; (d) the measures taken or
proposed, including mitigation. Art. 33(4): what is not yet known may follow in phases, so a missing item is
named as "to follow" rather than left out. The same document serves a processor's customers (Art. 33(2),
28(3)(f)): it is what the controller needs for its own notification.

The document is written in English or Swedish (`language`): the frame, headings and every fixed word come from
`texts/<lang>.yaml`, so a Swedish document has no English in it but what staff typed and what the policy itself
writes in one language only (a policy text given per language, `{en: ..., sv: ...}`, is shown in the document's).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from custos.incidents import deadlines
from custos.incidents.models import Incident
from custos.policy import Policy
from custos.texts import LANGUAGES, Language, Texts, read_texts

Audience = Literal["authority", "controller"]

# (key in the document, Art. 33(3) point, heading): the test checks each is present and filled.
ART_33_3_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("nature", "33(3)(a)", "Nature of the breach"),
    ("contact_point", "33(3)(b)", "Data protection contact point"),
    ("likely_consequences", "33(3)(c)", "Likely consequences"),
    ("measures", "33(3)(d)", "Measures taken or proposed"),
)
TO_FOLLOW = "not yet known; will follow in a later phase (Art. 33(4))"


def build_document(
    incident: Incident,
    policy: Policy,
    now: datetime,
    *,
    phase: str = "initial",
    audience: Audience = "authority",
    late_reason: str | None = None,
    customers: list[dict[str, Any]] | None = None,
    language: str = "en",
) -> dict[str, Any]:
    """The document as plain JSON-ready data, in `language` (en or sv)."""
    lang = as_language(language)
    t = words(lang)
    to_follow = t.text("document.to_follow")
    org = policy.organisation
    deadline = deadlines.authority_deadline(incident.aware_at)
    missing: list[str] = []
    # ISO 8601 on the organisation's clock with its offset: the instant the authority reads is exact, and the
    # hour is the one the organisation's own staff saw.
    local = policy.jurisdiction.local

    def known(name: str, value: Any) -> Any:
        if value is None or value == [] or value == "":
            missing.append(name)
            return to_follow
        return value

    systems = {s.id: s for s in policy.systems}
    data = {c.id: c for c in policy.data_categories}
    subjects = {c.id: c for c in policy.subject_categories}
    document: dict[str, Any] = {
        "title": t.text("document.title" if audience == "authority" else "document.title_controller"),
        "language": lang,
        "incident": incident.id,
        "phase": phase,
        "generated_at": local(now).isoformat(),
        "recipient": org.supervisory_authority if audience == "authority" else t.text("document.recipient_controller"),
        "controller": {"name": org.name, "org_number": org.org_number, "country": org.country},
        "role": incident.role,
        "nature": {
            "summary": incident.summary,
            "kinds": incident.kinds,
            "occurred_at": local(incident.occurred_at).isoformat() if incident.occurred_at else to_follow,
            "aware_at": local(incident.aware_at).isoformat(),
            "systems": known(
                "systems",
                [
                    {
                        "id": s,
                        "name": in_language(systems[s].name, lang) if s in systems else s,
                        "environment": _env(systems, s),
                    }
                    for s in incident.systems
                ],
            ),
            "environments": incident.environments,
            "data_categories": known(
                "data_categories",
                [
                    {"id": c, "description": in_language(data[c].description, lang) if c in data else c}
                    for c in incident.data_categories
                ],
            ),
            "approx_records": known("approx_records", incident.approx_records),
            "subject_categories": known(
                "subject_categories",
                [
                    {"id": c, "name": in_language(subjects[c].name, lang) if c in subjects else c}
                    for c in incident.subject_categories
                ],
            ),
            "approx_subjects": known("approx_subjects", incident.approx_subjects),
        },
        "contact_point": {
            "name": in_language(policy.data_protection.person, lang),
            "supported_by": in_language(policy.data_protection.supported_by, lang)
            if policy.data_protection.supported_by
            else None,
            "formal_dpo": policy.data_protection.formal_dpo,
            "email": str(org.contacts.privacy),
            "organisation": org.name,
        },
        "likely_consequences": known("likely_consequences", incident.consequences),
        "measures": {
            "taken": known("measures_taken", incident.measures_taken),
            "planned": known("measures_planned", incident.measures_planned),
        },
        "risk": {"level": incident.risk or to_follow, "reasoning": incident.risk_reasoning or to_follow},
        "timing": {
            "aware_at": local(incident.aware_at).isoformat(),
            "deadline": local(deadline).isoformat(),
            "late": now > deadline,
            "late_reason": late_reason,
        },
    }
    if customers is not None:
        document["customers"] = customers
    document["to_follow"] = missing
    return document


def _env(systems: dict[str, Any], system_id: str) -> str | None:
    system = systems.get(system_id)
    return str(system.environment) if system is not None else None


@cache
def _environment() -> Environment:
    # Built on first use, never at import; autoescape because every field is free text typed by staff.
    return Environment(
        loader=PackageLoader("custos.incidents", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(document: dict[str, Any]) -> str:
    """A printable page: the DPO can print it to PDF or paste it into the authority's e-service."""
    return _render("notification.html.j2", document)


def render_body(document: dict[str, Any]) -> Markup:
    """The document's sections (from h2 down) for a page of the admin that frames it with its own heading."""
    return Markup(_render("notification_body.html.j2", document))  # rendered with autoescape: every value is escaped


def _render(template: str, document: dict[str, Any]) -> str:
    lang = as_language(str(document.get("language", "en")))
    return _environment().get_template(template).render(doc=document, items=ART_33_3_ITEMS, t=words(lang), lang=lang)


def as_language(value: str | None) -> Language:
    return next((lang for lang in LANGUAGES if lang == value), "en")


class DocumentWords(Texts):
    what = "the Art. 33 document"

    def __call__(self, key: str, **values: object) -> str:
        text = self.text(f"document.{key}")
        return text.format(**values) if values else text


@cache
def words(lang: Language) -> DocumentWords:
    return DocumentWords(lang, read_texts("custos.incidents", lang))


def in_language(value: object, lang: str) -> str:
    """A policy text in the document's language where the policy gives one per language (LocalText)."""
    pick = getattr(value, "in_", None)
    return str(pick(lang)) if callable(pick) else str(value)
