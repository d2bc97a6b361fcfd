"""`record`: append one event to the audit log inside the caller's transaction.

The event and the change it documents commit or roll back together, so the log never claims a change that
did not happen nor misses one that did (Art. 5(2) accountability, Art. 32 security of processing).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.actor import Actor
from custos.audit._validate import check_event
from custos.audit.chain import canonical, details_json, digest, format_at
from custos.audit.models import HEAD_ID, AuditEvent, AuditHead
from custos.clock import Clock

# session.info key: the head row locked by the current transaction, so that further events in the same
# transaction need no extra round trip (the lock, or SQLite's write lock, is held until it ends).
_LOCKED_HEAD = "custos.audit.head"


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
    """Append one event and return it (with `seq` and `hash` set). Raises `InvalidInput` for a bad event.

    `subject` is a person's ref, never personal data: the log is kept for years and cannot be edited, so an
    email or a name written into it could never be erased (Art. 17). For the same reason `details` holds only
    short strings, integers, booleans and flat lists of them, and strings that look like an email address or
    a phone number are refused. `target` names a non-person object as `kind:id` (`staff:3`, `token:5`);
    `purpose` and `reference` say why (a purpose or a request reference). Where from: `actor.ip` and
    `actor.user_agent`.
    """
    action = str(action)  # an `Action` member hashes and stores as its plain name
    clean = check_event(action, subject, target, purpose, reference, outcome, details)
    label, ip, user_agent = actor.label[:100], _clip(actor.ip, 45), _clip(actor.user_agent, 300)
    head = _lock_head(session)
    seq = head.last_seq + 1
    at = clock.now()
    details_text = details_json(clean)
    plain = [actor.kind, actor.id, label, ip, user_agent, action, subject, target, purpose, reference, outcome]
    hashed = digest(canonical(seq, head.last_hash, format_at(at), plain, details_text))
    event = AuditEvent(
        seq=seq,
        at=at,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=label,
        ip=ip,
        user_agent=user_agent,
        action=action,
        subject=subject,
        target=target,
        purpose=purpose,
        reference=reference,
        outcome=outcome,
        details_json=details_text,
        prev_hash=head.last_hash,
        hash=hashed,
    )
    session.add(event)
    head.last_seq = seq
    head.last_hash = hashed
    head.count += 1
    return event


def _lock_head(session: Session) -> AuditHead:
    transaction = session.get_transaction()
    cached = session.info.get(_LOCKED_HEAD)
    if transaction is not None and cached is not None and cached[0] is transaction:
        head: AuditHead = cached[1]
        return head
    # FOR UPDATE serialises appenders on PostgreSQL (SQLite ignores it: BEGIN IMMEDIATE already did);
    # populate_existing because a session reused across transactions may hold an outdated head.
    statement = (
        select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update().execution_options(populate_existing=True)
    )
    head = session.execute(statement).scalar_one()
    session.info[_LOCKED_HEAD] = (session.get_transaction(), head)
    return head


def _clip(value: str | None, limit: int) -> str | None:
    return None if value is None else value[:limit]
