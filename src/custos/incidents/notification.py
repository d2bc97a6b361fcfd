"""The notification document of Art. 33(3), built from the incident as JSON and rendered as printable HTML.

Art. 33(3) lists what a notification must at least contain: (a) the nature of the breach including, where
possible, the categories and approximate number of subjects and of records concerned; (b) the name and
contact details of the DPO or other contact point; (c) the likely consequences; (d) the measures taken or
proposed, including mitigation. Art. 33(4): what is not yet known may follow in phases, so a missing item is
named as "to follow" rather than left out. The same document serves a processor's customers (Art. 33(2),
28(3)(f)): it is what the controller needs for its own notification.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from custos.incidents import deadlines
from custos.incidents.models import Incident
from custos.policy import Policy

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
) -> dict[str, Any]:
    """The document as plain JSON-ready data."""
    org = policy.organisation
    deadline = deadlines.authority_deadline(incident.aware_at)
    missing: list[str] = []
    # ISO 8601 on the organisation's clock with its offset: the instant the authority reads is exact, and the
    # hour is the one the organisation's own staff saw.
    local = policy.jurisdiction.local

    def known(name: str, value: Any) -> Any:
        if value is None or value == [] or value == "":
            missing.append(name)
            return TO_FOLLOW
        return value

    systems = {s.id: s for s in policy.systems}
    data = {c.id: c for c in policy.data_categories}
    subjects = {c.id: c for c in policy.subject_categories}
    document: dict[str, Any] = {
        "title": "Personal data breach notification (GDPR Art. 33)"
        if audience == "authority"
        else "Notice of a personal data breach to the controller (GDPR Art. 33(2), 28(3)(f))",
        "incident": incident.id,
        "phase": phase,
        "generated_at": local(now).isoformat(),
        "recipient": org.supervisory_authority if audience == "authority" else "the controller (our customer)",
        "controller": {"name": org.name, "org_number": org.org_number, "country": org.country},
        "role": incident.role,
        "nature": {
            "summary": incident.summary,
            "kinds": incident.kinds,
            "occurred_at": local(incident.occurred_at).isoformat() if incident.occurred_at else TO_FOLLOW,
            "aware_at": local(incident.aware_at).isoformat(),
            "systems": known(
                "systems",
                [
                    {"id": s, "name": systems[s].name if s in systems else s, "environment": _env(systems, s)}
                    for s in incident.systems
                ],
            ),
            "environments": incident.environments,
            "data_categories": known(
                "data_categories",
                [{"id": c, "description": data[c].description if c in data else c} for c in incident.data_categories],
            ),
            "approx_records": known("approx_records", incident.approx_records),
            "subject_categories": known(
                "subject_categories",
                [{"id": c, "name": subjects[c].name if c in subjects else c} for c in incident.subject_categories],
            ),
            "approx_subjects": known("approx_subjects", incident.approx_subjects),
        },
        "contact_point": {
            "name": policy.data_protection.person,
            "supported_by": policy.data_protection.supported_by,
            "formal_dpo": policy.data_protection.formal_dpo,
            "email": str(org.contacts.privacy),
            "organisation": org.name,
        },
        "likely_consequences": known("likely_consequences", incident.consequences),
        "measures": {
            "taken": known("measures_taken", incident.measures_taken),
            "planned": known("measures_planned", incident.measures_planned),
        },
        "risk": {"level": incident.risk or TO_FOLLOW, "reasoning": incident.risk_reasoning or TO_FOLLOW},
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
    return _environment().get_template("notification.html.j2").render(doc=document, items=ART_33_3_ITEMS)
