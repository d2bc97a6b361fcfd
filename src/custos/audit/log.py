"""`record`: append one event to the audit log inside the caller's transaction; `record_many` for a batch.

The event and the change it documents commit or roll back together, so the log never claims a change that
did not happen nor misses one that did (Art. 5(2) accountability, Art. 32 security of processing).

Appending takes no shared row: the event gets its number from the database (a sequence on PostgreSQL, the
rowid on SQLite) and its own hash, and the sealer (`custos.audit.seal`) chains events into blocks later.
So any number of processes append at once, and an audited action waits for nobody else's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from custos.actor import Actor
from custos.audit._validate import check_event
from custos.audit.chain import details_json, format_at, leaf_bytes, leaf_hash
from custos.audit.models import AuditEvent
from custos.clock import Clock


@dataclass(frozen=True)
class Entry:
    """One event of a `record_many` batch: the same fields as `record`'s keywords."""

    action: str
    subject: str | None = None
    target: str | None = None
    purpose: str | None = None
    reference: str | None = None
    outcome: str = "ok"
    details: Mapping[str, object] = field(default_factory=dict)


def record(
    session: Session,
    clock: Clock,
    actor: Actor,
    action: str,
    *,
    subject: str | None = None,
    target: str | None = None,
    purpose: str | None = None,
    reference: str | None = None,
    outcome: str = "ok",
    details: Mapping[str, object] | None = None,
) -> AuditEvent:
    """Append one event and return it (`hash` set; `seq` once flushed). Raises `InvalidInput` for a bad event.

    `subject` is a person's ref, never personal data: the log is kept for years and cannot be edited, so an
    email or a name written into it could never be erased (Art. 17). For the same reason `details` holds only
    short strings, integers, booleans and flat lists of them, and strings that look like an email address or
    a phone number are refused. `target` names a non-person object as `kind:id` (`staff:3`, `token:5`);
    `purpose` and `reference` say why (a purpose or a request reference). Where from: `actor.ip` and
    `actor.user_agent`.
    """
    entry = Entry(str(action), subject, target, purpose, reference, outcome, details or {})
    values = _values(actor, clock, entry)
    event = AuditEvent(**values)
    session.add(event)
    return event


def record_many(session: Session, clock: Clock, actor: Actor, entries: Iterable[Entry]) -> int:
    """Append a batch of events by one actor in one statement (a sweep's erasures); returns how many.

    Every entry is checked as `record` checks it before anything is written, so a bad entry writes none.
    """
    rows = [_values(actor, clock, entry) for entry in entries]
    if not rows:
        return 0
    # Pending ORM events first, so numbers keep the order in which the unit recorded.
    session.flush()
    # Core, not the ORM's bulk path: nothing needs the rows back, and it is a plain executemany.
    table = AuditEvent.__table__
    assert isinstance(table, Table)
    session.execute(insert(table), rows)
    return len(rows)


def _values(actor: Actor, clock: Clock, entry: Entry) -> dict[str, Any]:
    action = str(entry.action)  # an `Action` member hashes and stores as its plain name
    clean = check_event(
        action, entry.subject, entry.target, entry.purpose, entry.reference, entry.outcome, entry.details
    )
    label, ip, user_agent = actor.label[:100], _clip(actor.ip, 45), _clip(actor.user_agent, 300)
    at = clock.now()
    text_details = details_json(clean)
    plain = [
        actor.kind,
        actor.id,
        label,
        ip,
        user_agent,
        action,
        entry.subject,
        entry.target,
        entry.purpose,
        entry.reference,
        entry.outcome,
    ]
    return {
        "at": at,
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "actor_label": label,
        "ip": ip,
        "user_agent": user_agent,
        "action": action,
        "subject": entry.subject,
        "target": entry.target,
        "purpose": entry.purpose,
        "reference": entry.reference,
        "outcome": entry.outcome,
        "details_json": text_details,
        "prev_hash": None,
        "hash": leaf_hash(leaf_bytes(format_at(at), plain, text_details)),
    }


def _clip(value: str | None, limit: int) -> str | None:
    return None if value is None else value[:limit]
