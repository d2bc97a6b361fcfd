"""The breach register as a list: filtered by state and by where the 72-hour clock stands, a page at a time,
or whole as a CSV file that leaves the system (and is audited as it does, Art. 5(2), 33(5))."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, exists, func, not_, or_, select
from sqlalchemy.orm import Session, selectinload

from custos.audit.actions import Action
from custos.incidents import deadlines
from custos.incidents.models import Incident, IncidentNotification
from custos.incidents.schemas import IncidentPublic
from custos.incidents.service import to_public
from custos.jurisdiction import format_in
from custos.work import Work

DEADLINES = ("running", "overdue", "stopped")


@dataclass(frozen=True)
class Filters:
    state: str = ""  # "" | open | closed
    deadline: str = ""  # "" | running | overdue | stopped

    @staticmethod
    def of(state: str, deadline: str) -> Filters:
        return Filters(state if state in ("open", "closed") else "", deadline if deadline in DEADLINES else "")

    def query(self, offset: int | None = None) -> str:
        parts = [f"{k}={v}" for k, v in (("state", self.state), ("deadline", self.deadline)) if v]
        if offset:
            parts.append(f"offset={offset}")
        return "?" + "&".join(parts) if parts else ""


@dataclass(frozen=True)
class Page:
    total: int  # incidents the filters match
    anything: bool  # whether the register holds any incident at all (an empty filter is not an empty register)
    incidents: list[IncidentPublic]


def page(work: Work, filters: Filters, *, offset: int, limit: int) -> Page:
    """One page of the register as the filters give it, the most pressing first."""
    now = work.clock.now()
    session = work.session
    total = _count(session, filters, now)
    anything = total > 0 or bool(session.scalar(select(Incident.id).limit(1)))
    found = [to_public(work, i) for i in _rows(session, filters, now, offset=offset, limit=limit)]
    return Page(total, anything, found)


def export_csv(work: Work, filters: Filters) -> str:
    """The register as the filters give it, one line an incident, times on the organisation's clock; audited."""
    now = work.clock.now()
    zone = work.policy.jurisdiction.zone
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["id", "state", "role", "risk", "aware_at", "deadline", "clock", "decision", "authority_notified_at", "summary"]
    )
    rows = [to_public(work, i) for i in _rows(work.session, filters, now, offset=0, limit=None)]
    for incident in rows:
        notified = next((n.sent_at for n in incident.notifications if n.recipient == "authority"), None)
        writer.writerow(
            [
                incident.id,
                incident.state,
                incident.role,
                incident.risk or "",
                format_in(incident.aware_at, zone),
                format_in(incident.deadline, zone),
                clock_state(incident, now),
                incident.decision or "",
                format_in(notified, zone) if notified else "",
                incident.summary,
            ]
        )
    # The register of breaches leaves the system: who took it, which part, how many lines.
    work.audit(
        Action.INCIDENT_EXPORT,
        details={"rows": len(rows), "state": filters.state or "all", "deadline": filters.deadline or "all"},
    )
    return out.getvalue()


def clock_state(incident: IncidentPublic, now: datetime) -> str:
    """running | overdue | stopped: stopped once the authority was notified, a decision was recorded, or closed."""
    if incident.state != "open" or incident.authority_notified or incident.decision is not None:
        return "stopped"
    # Whole seconds, as the admin's countdown reads it, so the file and the page never disagree.
    return "overdue" if int((incident.deadline - now).total_seconds()) < 0 else "running"


def _where(filters: Filters, now: datetime) -> list[ColumnElement[bool]]:
    """The filters in SQL, so a page of a long register loads only its own rows."""
    notified = exists().where(
        IncidentNotification.incident_id == Incident.id, IncidentNotification.recipient == "authority"
    )
    running = and_(Incident.state == "open", Incident.decision.is_(None), not_(notified))
    # Overdue: the 72 hours have passed (the deadline is before now), the clock still running.
    cutoff = now - timedelta(hours=deadlines.AUTHORITY_HOURS)
    found: list[ColumnElement[bool]] = []
    if filters.state:
        found.append(Incident.state == filters.state)
    if filters.deadline == "running":
        found.append(and_(running, Incident.aware_at >= cutoff))
    elif filters.deadline == "overdue":
        found.append(and_(running, Incident.aware_at < cutoff))
    elif filters.deadline == "stopped":
        found.append(or_(Incident.state != "open", Incident.decision.is_not(None), notified))
    return found


def _rows(session: Session, filters: Filters, now: datetime, *, offset: int, limit: int | None) -> list[Incident]:
    # Open ones first, the most pressing (earliest deadline) at the top; then closed ones, newest first.
    is_open = Incident.state == "open"
    query = (
        select(Incident)
        .where(*_where(filters, now))
        .options(selectinload(Incident.events), selectinload(Incident.notifications), selectinload(Incident.customers))
        .order_by(
            case((is_open, 0), else_=1),
            case((is_open, Incident.aware_at)).asc(),
            case((not_(is_open), Incident.aware_at)).desc(),
            case((is_open, Incident.id)).asc(),
            Incident.id.desc(),
        )
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def _count(session: Session, filters: Filters, now: datetime) -> int:
    return int(session.scalar(select(func.count()).select_from(Incident).where(*_where(filters, now))) or 0)
