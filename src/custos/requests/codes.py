"""One-time codes sent to the subject's address: the identity check and the check before a download.

Codes are stored as sha256 hashes; each is valid once, until it expires, and for `MAX_ATTEMPTS` wrong guesses
(after which a new one must be asked for). `check` returns what happened instead of raising, so that the
caller commits the counted attempt before it tells the subject the code was wrong.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Literal

from sqlalchemy import select, update

from custos.requests.cases import hash_secret
from custos.requests.models import SubjectRequest, SubjectRequestCode
from custos.work import Work

Purpose = Literal["verify", "download"]
Outcome = Literal["ok", "wrong", "expired", "exhausted", "none"]

MAX_ATTEMPTS = 5
# The identity link waits for the subject (the clock is paused meanwhile); the download code is typed at once.
LIFETIME: dict[str, timedelta] = {"verify": timedelta(days=7), "download": timedelta(minutes=30)}


def issue(work: Work, req: SubjectRequest, purpose: Purpose) -> str:
    """A new code; earlier unused codes of the same purpose stop working (only the latest letter counts)."""
    session = work.session
    now = work.clock.now()
    session.execute(
        update(SubjectRequestCode)
        .where(
            SubjectRequestCode.request_id == req.id,
            SubjectRequestCode.purpose == purpose,
            SubjectRequestCode.used_at.is_(None),
        )
        .values(expires_at=now)
    )
    # A link carries a long random code; a download code is typed, so it is short but expires in minutes.
    code = secrets.token_urlsafe(18) if purpose == "verify" else f"{secrets.randbelow(10**8):08d}"
    session.add(
        SubjectRequestCode(
            request_id=req.id,
            purpose=purpose,
            code_hash=hash_secret(code),
            expires_at=now + LIFETIME[purpose],
            attempts=0,
            created_at=now,
        )
    )
    session.flush()
    return code


def check(work: Work, req: SubjectRequest, purpose: Purpose, code: str) -> Outcome:
    clock = work.clock
    latest = work.session.scalar(
        select(SubjectRequestCode)
        .where(SubjectRequestCode.request_id == req.id, SubjectRequestCode.purpose == purpose)
        .order_by(SubjectRequestCode.id.desc())
        .limit(1)
        .with_for_update()
    )
    if latest is None or latest.used_at is not None:
        return "none"
    if latest.attempts >= MAX_ATTEMPTS:
        return "exhausted"
    if clock.now() >= latest.expires_at:
        return "expired"
    if not hmac.compare_digest(latest.code_hash, hash_secret(code.strip())):
        latest.attempts += 1
        return "exhausted" if latest.attempts >= MAX_ATTEMPTS else "wrong"
    latest.used_at = clock.now()
    return "ok"
