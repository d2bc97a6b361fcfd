"""Password + second-factor login, with lockout after repeated failures; every attempt is audited.

Art. 32(1)(b) and (d): 5 failures in a row lock the account for 15 minutes, which makes guessing a password
or a 6-digit code impractical. The caller is never told which part was wrong, nor that the account is
locked or unknown: all failures look alike, and only the audit log records the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from custos.access.models import RecoveryCode, Staff
from custos.access.passwords import burn_time, hash_password, needs_rehash, verify_password
from custos.access.principal import staff_actor
from custos.access.sessions import NewSession, open_session
from custos.access.totp import accepted_step, hash_recovery_code, looks_like_recovery_code
from custos.audit import Action
from custos.work import Work

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


@dataclass(frozen=True)
class LoginResult:
    opened: NewSession | None
    staff: Staff | None = None
    second_factor: str | None = None  # "totp", "recovery_code" or None (not enrolled yet)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _as_member(work: Work, staff_id: int | None) -> Work:
    """The unit audited as the account the attempt names (`staff:unknown` for none), from where it came:
    who acts is what the attempt is about, so it is known only once the email has been looked up."""
    return work.acting_as(staff_actor(staff_id, ip=work.actor.ip, user_agent=work.actor.user_agent))


def log_in(work: Work, *, email: str, password: str, code: str | None) -> LoginResult:
    """Check the credentials; the caller commits the result even on failure (counters, lockout, audit).

    The edge opens the unit with the request's origin (`staff_actor(None, ip=..., user_agent=...)`); the events
    name the account the email belongs to.
    """
    session, now = work.session, work.clock.now()
    staff = session.scalar(select(Staff).where(Staff.email == normalise_email(email)))
    work = _as_member(work, staff.id if staff else None)
    reason: str | None = None
    if staff is None:
        reason = "unknown_account"
    elif staff.status != "active":
        reason = "disabled"
    elif staff.locked_until is not None and now < staff.locked_until:
        reason = "locked"
    if staff is None or reason is not None:
        burn_time(password)
        work.audit(Action.AUTH_LOGIN_FAILED, outcome="failed", details={"reason": reason})
        return LoginResult(opened=None)
    factor: str | None = None
    if not verify_password(staff.password_hash, password):
        reason = "wrong_password"
    elif staff.totp_secret is not None:
        factor = _second_factor(work, staff, code or "")
        reason = None if factor else ("code_missing" if not code else "wrong_code")
    if reason is not None:
        _count_failure(work, staff, reason)
        return LoginResult(opened=None)
    staff.failed_logins = 0
    staff.locked_until = None
    staff.last_login_at = now
    if needs_rehash(staff.password_hash):
        staff.password_hash = hash_password(password)
    opened = open_session(session, now, staff.id, second_factor=factor is not None)
    work.audit(Action.AUTH_LOGIN, target=f"session:{opened.record.id}", details={"second_factor": factor or "none"})
    return LoginResult(opened=opened, staff=staff, second_factor=factor)


def confirm_identity(work: Work, staff_id: int, *, password: str, code: str) -> bool:
    """Prove again who acts, with password and second factor, for a step a declared name must not do alone.

    The CLI's `--as` names a member without proving it (see `custos.cli.identity`); approving a grant is the
    second pair of eyes (Art. 32(4)), so the approver shows both factors, counted towards the lockout like a
    login, and audited as the member (`staff:<id>`) whose factors were shown. The caller commits the result even
    when it is False (counters, lockout, audit).
    """
    staff = work.session.get(Staff, staff_id)
    if staff is None or staff.status != "active" or staff.totp_secret is None:
        burn_time(password)
        return False
    work = work.acting_as(staff_actor(staff.id))
    if staff.locked_until is not None and work.clock.now() < staff.locked_until:
        burn_time(password)
        work.audit(Action.AUTH_MFA_FAILED, target=f"staff:{staff.id}", outcome="failed", details={"reason": "locked"})
        return False
    if not verify_password(staff.password_hash, password):
        _count_failure(work, staff, "wrong_password")
        return False
    if _second_factor(work, staff, code) is None:
        _count_failure(work, staff, "wrong_code" if code else "code_missing")
        return False
    staff.failed_logins = 0
    work.audit(Action.AUTH_CONFIRM, target=f"staff:{staff.id}")
    return True


def _second_factor(work: Work, staff: Staff, code: str) -> str | None:
    assert staff.totp_secret is not None
    step = accepted_step(staff.totp_secret, code, work.clock.now(), staff.totp_last_step)
    if step is not None:
        staff.totp_last_step = step
        return "totp"
    if looks_like_recovery_code(code) and use_recovery_code(work, staff, code):
        return "recovery_code"
    return None


def use_recovery_code(work: Work, staff: Staff, code: str) -> bool:
    """Spend one recovery code; each works once (it stands in for a lost authenticator)."""
    session = work.session
    row = session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.staff_id == staff.id,
            RecoveryCode.code_hash == hash_recovery_code(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if row is None:
        return False
    row.used_at = work.clock.now()
    left = len(
        session.scalars(
            select(RecoveryCode.id).where(RecoveryCode.staff_id == staff.id, RecoveryCode.used_at.is_(None))
        ).all()
    )
    work.acting_as(staff_actor(staff.id)).audit(
        Action.AUTH_RECOVERY_CODE_USED, target=f"staff:{staff.id}", details={"codes_left": left}
    )
    return True


def _count_failure(work: Work, staff: Staff, reason: str) -> None:
    staff.failed_logins = (staff.failed_logins or 0) + 1
    action = Action.AUTH_MFA_FAILED if reason in ("code_missing", "wrong_code") else Action.AUTH_LOGIN_FAILED
    work.audit(action, target=f"staff:{staff.id}", outcome="failed", details={"reason": reason})
    if staff.failed_logins >= MAX_FAILURES:
        staff.locked_until = work.clock.now() + LOCKOUT
        staff.failed_logins = 0
        work.audit(
            Action.AUTH_LOCKOUT,
            target=f"staff:{staff.id}",
            details={"failures": MAX_FAILURES, "locked_until": staff.locked_until.isoformat()},
        )
