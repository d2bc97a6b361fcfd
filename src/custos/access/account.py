"""What staff do for their own account: change the password, enrol TOTP, renew recovery codes, log out.

Art. 32(1): a second factor is enrolled before any personal data is shown; proving it during enrolment
upgrades the current session, so the first login does not need a second round.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete

from custos.access.models import RecoveryCode, Staff, StaffSession
from custos.access.passwords import check_new_password, hash_password, verify_password
from custos.access.principal import Principal
from custos.access.sessions import close_all_sessions, close_session
from custos.access.totp import accepted_step, hash_recovery_code, new_recovery_codes, new_secret, provisioning_uri
from custos.audit import Action
from custos.errors import Conflict, InvalidInput, Problem, SecondFactorRequired
from custos.work import Work


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str


def own_account(work: Work, principal: Principal) -> Staff:
    """The caller's own account row (a live principal's account exists)."""
    staff = work.session.get(Staff, principal.staff_id)
    assert staff is not None
    return staff


def change_password(work: Work, principal: Principal, *, current: str, new: str) -> None:
    staff = own_account(work, principal)
    if not verify_password(staff.password_hash, current):
        raise InvalidInput("the password was not changed", [Problem("current_password", "is not your password")])
    check_new_password(new, email=staff.email)
    if verify_password(staff.password_hash, new):
        raise InvalidInput("the password was not changed", [Problem("new_password", "is the same as the old one")])
    now = work.clock.now()
    staff.password_hash = hash_password(new)
    staff.must_change_password = False
    staff.password_changed_at = now
    # Whoever knew the old password is logged out everywhere but here.
    close_all_sessions(work.session, now, staff.id, keep=principal.session_id)
    work.audit(Action.STAFF_PASSWORD_CHANGE, target=f"staff:{staff.id}")


def start_totp_enrolment(work: Work, principal: Principal) -> Enrolment:
    staff = own_account(work, principal)
    if staff.totp_secret is not None and not principal.second_factor:
        # Replacing an enrolled authenticator needs the old one: a stolen password alone must not do it.
        raise SecondFactorRequired("Log in with your current authenticator to replace it.")
    staff.totp_pending_secret = new_secret()
    return Enrolment(secret=staff.totp_pending_secret, uri=provisioning_uri(staff.totp_pending_secret, staff.email))


def confirm_totp(work: Work, principal: Principal, code: str) -> list[str]:
    """Switch to the pending secret once a code from it is shown; returns fresh recovery codes (shown once)."""
    staff = own_account(work, principal)
    if staff.totp_pending_secret is None:
        raise Conflict("start the enrolment first")
    now = work.clock.now()
    step = accepted_step(staff.totp_pending_secret, code, now, None)
    if step is None:
        raise InvalidInput("the code does not match", [Problem("code", "wrong or expired code; try the next one")])
    staff.totp_secret = staff.totp_pending_secret
    staff.totp_pending_secret = None
    staff.totp_last_step = step
    staff.totp_enabled_at = now
    if principal.session_id is not None:
        record = work.session.get(StaffSession, principal.session_id)
        if record is not None:
            record.mfa_at = now
    work.audit(Action.STAFF_TOTP_ENROL, target=f"staff:{staff.id}")
    return _replace_recovery_codes(work, staff)


def renew_recovery_codes(work: Work, principal: Principal) -> list[str]:
    if not principal.second_factor:
        raise SecondFactorRequired()
    staff = own_account(work, principal)
    work.audit(Action.STAFF_RECOVERY_CODES_RENEW, target=f"staff:{staff.id}")
    return _replace_recovery_codes(work, staff)


def _replace_recovery_codes(work: Work, staff: Staff) -> list[str]:
    work.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == staff.id))
    codes = new_recovery_codes()
    now = work.clock.now()
    work.session.add_all(
        RecoveryCode(staff_id=staff.id, code_hash=hash_recovery_code(c), created_at=now) for c in codes
    )
    return codes


def log_out(work: Work, principal: Principal) -> None:
    if principal.session_id is not None:
        close_session(work.session, work.clock.now(), principal.session_id)
    target = f"session:{principal.session_id}" if principal.session_id is not None else None
    work.audit(Action.AUTH_LOGOUT, target=target)


def log_out_everywhere(work: Work, principal: Principal) -> int:
    ended = close_all_sessions(work.session, work.clock.now(), principal.staff_id)
    work.audit(Action.AUTH_LOGOUT_EVERYWHERE, target=f"staff:{principal.staff_id}", details={"sessions": ended})
    return ended
