"""Searching the audit log for the auditor and the DPO: by time, action, actor, subject, target, outcome.

Art. 5(2) and 15: who read or changed this person's data, and when, must be answerable. Results are pages
in chain order, continued with `after` (the last `seq` seen), so a long history is read without offsets.

`read` and `read_newest` are what the edges call: reading the log is itself audited (`audit.read`), since its
events name people by ref and a search by subject is a look at that person's history (Art. 5(2), 15(1)).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.audit.actions import Action
from custos.audit.models import AuditEvent

if TYPE_CHECKING:
    from custos.work import Work


@dataclass(frozen=True)
class AuditFilter:
    since: datetime | None = None
    until: datetime | None = None
    action: str | None = None  # exact name, or an area prefix ending in "." such as "auth."
    actor_kind: str | None = None
    actor_id: int | None = None
    subject: str | None = None
    target: str | None = None
    outcome: str | None = None

    def used(self) -> list[str]:
        return [name for name, value in self.__dict__.items() if value is not None]


def search(session: Session, where: AuditFilter, *, after: int = 0, limit: int = 100) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.seq > after)
    if where.since is not None:
        query = query.where(AuditEvent.at >= where.since)
    if where.until is not None:
        query = query.where(AuditEvent.at < where.until)
    if where.action is not None:
        if where.action.endswith("."):
            query = query.where(AuditEvent.action.startswith(where.action, autoescape=True))
        else:
            query = query.where(AuditEvent.action == where.action)
    for column, value in (
        (AuditEvent.actor_kind, where.actor_kind),
        (AuditEvent.actor_id, where.actor_id),
        (AuditEvent.subject, where.subject),
        (AuditEvent.target, where.target),
        (AuditEvent.outcome, where.outcome),
    ):
        if value is not None:
            query = query.where(column == value)
    return list(session.scalars(query.order_by(AuditEvent.seq).limit(limit)))


def search_newest(
    session: Session, where: AuditFilter, *, before: int | None = None, limit: int = 100
) -> list[AuditEvent]:
    """The same search, newest first: a page of events older than `before` (the last `seq` seen), or the latest."""
    query = select(AuditEvent)
    if before is not None:
        query = query.where(AuditEvent.seq < before)
    if where.since is not None:
        query = query.where(AuditEvent.at >= where.since)
    if where.until is not None:
        query = query.where(AuditEvent.at < where.until)
    if where.action is not None:
        if where.action.endswith("."):
            query = query.where(AuditEvent.action.startswith(where.action, autoescape=True))
        else:
            query = query.where(AuditEvent.action == where.action)
    for column, value in (
        (AuditEvent.actor_kind, where.actor_kind),
        (AuditEvent.actor_id, where.actor_id),
        (AuditEvent.subject, where.subject),
        (AuditEvent.target, where.target),
        (AuditEvent.outcome, where.outcome),
    ):
        if value is not None:
            query = query.where(column == value)
    return list(session.scalars(query.order_by(AuditEvent.seq.desc()).limit(limit)))


def read(work: Work, where: AuditFilter, *, after: int = 0, limit: int = 100) -> list[AuditEvent]:
    """`search`, audited as `audit.read` by the unit's actor."""
    events = search(work.session, where, after=after, limit=limit)
    _audit_read(work, where, events)
    return events


def read_newest(work: Work, where: AuditFilter, *, before: int | None = None, limit: int = 100) -> list[AuditEvent]:
    """`search_newest`, audited as `audit.read` by the unit's actor."""
    events = search_newest(work.session, where, before=before, limit=limit)
    _audit_read(work, where, events)
    return events


def _audit_read(work: Work, where: AuditFilter, events: list[AuditEvent]) -> None:
    work.audit(Action.AUDIT_READ, subject=where.subject, details={"filters": where.used(), "count": len(events)})
