"""Login sessions: a random token in an HttpOnly cookie, stored only as its SHA-256 digest.

A session ends after 30 minutes without use or 12 hours after login, whichever comes first, and at logout;
"log out everywhere" ends all of a staff member's sessions (Art. 32(1)(b): access that outlives its need
is a risk). These are storage steps beneath the services (`login`, `account`, `staff`, `identify`), which
pass the time from their clock; `identify` runs before anyone is known to act, so they take a session, not a
unit of work.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from custos.access.models import StaffSession

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class NewSession:
    token: str  # goes into the cookie; never stored
    record: StaffSession


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, now: datetime, staff_id: int, *, second_factor: bool) -> NewSession:
    token = secrets.token_urlsafe(32)
    record = StaffSession(
        token_hash=digest(token),
        csrf_token=secrets.token_urlsafe(32),
        staff_id=staff_id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + ABSOLUTE_LIFETIME,
        mfa_at=now if second_factor else None,
    )
    session.add(record)
    session.flush()
    return NewSession(token=token, record=record)


def live_session(session: Session, now: datetime, token: str) -> StaffSession | None:
    """The session behind a cookie, if it is still live; its idle clock restarts."""
    record = session.scalar(select(StaffSession).where(StaffSession.token_hash == digest(token)))
    if record is None or record.revoked_at is not None:
        return None
    if now >= record.expires_at or now - record.last_seen_at >= IDLE_TIMEOUT:
        record.revoked_at = record.revoked_at or now
        return None
    record.last_seen_at = now
    return record


def idle_expiry(record: StaffSession) -> datetime:
    return min(record.last_seen_at + IDLE_TIMEOUT, record.expires_at)


def close_session(session: Session, now: datetime, session_id: int) -> None:
    record = session.get(StaffSession, session_id)
    if record is not None and record.revoked_at is None:
        record.revoked_at = now


def close_all_sessions(session: Session, now: datetime, staff_id: int, *, keep: int | None = None) -> int:
    """End every live session of a staff member (but `keep`); returns how many were ended."""
    query = update(StaffSession).where(StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None))
    if keep is not None:
        query = query.where(StaffSession.id != keep)
    result = session.execute(query.values(revoked_at=now).execution_options(synchronize_session="fetch"))
    return int(getattr(result, "rowcount", 0) or 0)
