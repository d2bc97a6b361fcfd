"""The timeline: every change and decision about an incident is one appended entry and one audit event.

The entry (with the free-text note and the before/after values) stays with the incident; the audit event
holds only the action, the incident as `incident:<id>` and the names of what changed, because the audit log
must never hold personal data and a note might (Art. 5(1)(c), 17). Both are written in the caller's
unit of work, so neither exists without the other (Art. 5(2), 33(5)).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from custos.audit.actions import Action
from custos.incidents.models import Incident, IncidentEvent
from custos.work import Work


def append(
    work: Work,
    incident: Incident,
    kind: str,
    *,
    note: str | None = None,
    changes: Mapping[str, Any] | None = None,
    details: Mapping[str, object] | None = None,
    subject: str | None = None,
) -> IncidentEvent:
    """Append one timeline entry of `kind` and audit it as `incident.<kind>`."""
    now = work.clock.now()
    event = IncidentEvent(
        incident_id=incident.id,
        at=now,
        actor=work.actor.label,
        kind=kind,
        note=note,
        changes={key: _plain(value) for key, value in (changes or {}).items()},
    )
    work.session.add(event)
    incident.updated_at = now
    work.audit(
        Action(f"incident.{kind}"),
        subject=subject,
        target=f"incident:{incident.id}",
        details=details or ({"fields": sorted(changes)} if changes else None),
    )
    return event


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value
