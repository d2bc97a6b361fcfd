"""Login, logout, the caller's own account: password change, TOTP enrolment, recovery codes.

The session cookie is HttpOnly (scripts cannot read it), SameSite=Strict (other sites cannot make the browser
send it) and Secure over HTTPS. The CSRF token comes back in the login body and in a readable cookie; send
it as `X-CSRF-Token` with every POST, PATCH and DELETE.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from custos.access import account
from custos.access.login import log_in
from custos.access.models import Staff
from custos.access.principal import Principal, staff_actor
from custos.access.schemas import StaffPublic
from custos.access.sessions import ABSOLUTE_LIFETIME, IDLE_TIMEOUT
from custos.errors import PermissionDenied, Unauthenticated
from custos.web.auth import CSRF_COOKIE, SESSION_COOKIE, CurrentPrincipal, WorkDep
from custos.web.deps import RuntimeDep

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

LOGIN_FAILED = (
    "Login failed: the email, password or code is wrong, or the account is locked for 15 minutes after "
    "5 failed attempts."
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(_In):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)
    code: str | None = Field(default=None, max_length=40, description="TOTP code, or a recovery code")


class LoginResponse(BaseModel):
    staff: StaffPublic
    csrf_token: str
    expires_at: datetime
    idle_timeout_seconds: int
    second_factor: bool
    next_steps: list[str] = Field(description="What to do before anything else works: change_password, enrol_totp")


class HeldPermission(BaseModel):
    permission: str
    scope: str


class MeResponse(BaseModel):
    staff: StaffPublic
    via: str
    second_factor: bool
    csrf_token: str | None
    permissions: list[HeldPermission]
    next_steps: list[str]


class PasswordChange(_In):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class TotpEnrolment(BaseModel):
    secret: str
    otpauth_uri: str


class CodeIn(_In):
    code: str = Field(max_length=40)


class RecoveryCodes(BaseModel):
    recovery_codes: list[str] = Field(description="Shown once; each works once in place of a TOTP code.")


def _next_steps(staff: Staff, second_factor: bool) -> list[str]:
    steps = ["change_password"] if staff.must_change_password else []
    if staff.totp_enabled_at is None:
        steps.append("enrol_totp")
    elif not second_factor:
        steps.append("log_in_with_totp")
    return steps


def _secure(request: Request, runtime: RuntimeDep) -> bool:
    return request.url.scheme == "https" or runtime.settings.public_url.startswith("https://")


@router.post("/login", response_model=LoginResponse)
def login(data: LoginRequest, request: Request, response: Response, runtime: RuntimeDep) -> LoginResponse:
    """Password and, once enrolled, a TOTP or recovery code. Every attempt is audited."""
    origin = staff_actor(
        None, ip=request.client.host if request.client else None, user_agent=request.headers.get("user-agent")
    )
    # A unit of its own, not the request's: a failed login raises below, and its failure counter, lockout and
    # audit event must stay.
    with runtime.work(origin) as work:
        result = log_in(work, email=data.email, password=data.password, code=data.code)
        body = None
        if result.opened is not None and result.staff is not None:
            second = result.second_factor is not None
            body = LoginResponse(
                staff=StaffPublic.of(result.staff),
                csrf_token=result.opened.record.csrf_token,
                expires_at=result.opened.record.expires_at,
                idle_timeout_seconds=int(IDLE_TIMEOUT.total_seconds()),
                second_factor=second,
                next_steps=_next_steps(result.staff, second),
            )
    if result.opened is None or body is None:
        raise Unauthenticated(LOGIN_FAILED)
    secure = _secure(request, runtime)
    max_age = int(ABSOLUTE_LIFETIME.total_seconds())
    response.set_cookie(
        SESSION_COOKIE, result.opened.token, max_age=max_age, httponly=True, samesite="strict", secure=secure
    )
    # Readable by the page's own scripts, so they can echo it in X-CSRF-Token (double submit).
    response.set_cookie(CSRF_COOKIE, body.csrf_token, max_age=max_age, httponly=False, samesite="strict", secure=secure)
    return body


def _forget(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict")
    response.delete_cookie(CSRF_COOKIE, samesite="strict")


@router.post("/logout", status_code=204)
def logout(principal: CurrentPrincipal, work: WorkDep, response: Response) -> None:
    account.log_out(work, principal)
    _forget(response)


@router.post("/logout-everywhere")
def logout_everywhere(principal: CurrentPrincipal, work: WorkDep, response: Response) -> dict[str, int]:
    """End every session of the caller, on every device (e.g. after losing a laptop)."""
    ended = account.log_out_everywhere(work, principal)
    _forget(response)
    return {"sessions_ended": ended}


@router.get("/me", response_model=MeResponse)
def me(principal: CurrentPrincipal, work: WorkDep) -> MeResponse:
    staff = account.own_account(work, principal)
    held = sorted({(p, g.scope) for g in principal.grants for p in g.permissions if p in principal.permissions()})
    return MeResponse(
        staff=StaffPublic.of(staff),
        via=principal.via,
        second_factor=principal.second_factor,
        csrf_token=principal.csrf_token,
        permissions=[HeldPermission(permission=p, scope=s) for p, s in held],
        next_steps=_next_steps(staff, principal.second_factor) if principal.via == "session" else [],
    )


def _session_only(principal: Principal) -> Principal:
    if principal.via != "session":
        raise PermissionDenied("Only a logged-in staff member can change their own credentials.")
    return principal


@router.post("/password", status_code=204)
def change_password(data: PasswordChange, principal: CurrentPrincipal, work: WorkDep) -> None:
    """Change the password; ends the caller's other sessions."""
    account.change_password(work, _session_only(principal), current=data.current_password, new=data.new_password)


@router.post("/totp/enrol", response_model=TotpEnrolment)
def enrol_totp(principal: CurrentPrincipal, work: WorkDep) -> TotpEnrolment:
    """A new TOTP secret for the authenticator app; it takes effect once a code from it is confirmed."""
    enrolment = account.start_totp_enrolment(work, _session_only(principal))
    return TotpEnrolment(secret=enrolment.secret, otpauth_uri=enrolment.uri)


@router.post("/totp/confirm", response_model=RecoveryCodes)
def confirm_totp(data: CodeIn, principal: CurrentPrincipal, work: WorkDep) -> RecoveryCodes:
    codes = account.confirm_totp(work, _session_only(principal), data.code)
    return RecoveryCodes(recovery_codes=codes)


@router.post("/recovery-codes", response_model=RecoveryCodes)
def renew_recovery_codes(principal: CurrentPrincipal, work: WorkDep) -> RecoveryCodes:
    """New recovery codes; the old ones stop working."""
    return RecoveryCodes(recovery_codes=account.renew_recovery_codes(work, _session_only(principal)))
