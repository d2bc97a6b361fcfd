"""Logging in (password and authenticator code, or a recovery code), logging out, and the language switch.

One form takes the email, the password and the code together, as the login service does: every failure then
looks the same and counts once, whatever part was wrong (Art. 32(1)(b); the audit log keeps the reason).
The login form is protected against login CSRF (a site logging a victim into the attacker's account) by a
token in a SameSite=Strict cookie that the form repeats.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from custos.access import account
from custos.access.login import log_in
from custos.access.principal import staff_actor
from custos.access.sessions import ABSOLUTE_LIFETIME
from custos.web.admin.forms import text
from custos.web.admin.pages import LANG_COOKIE, render_page, safe_next
from custos.web.auth import (
    CurrentPrincipal,
    FormFields,
    WorkDep,
    cookies_secure,
    forget_login_cookies,
    set_login_cookies,
)
from custos.web.deps import RuntimeDep

router = APIRouter(prefix="/admin", include_in_schema=False)

LOGIN_CSRF_COOKIE = "custos_login_csrf"
LOGIN_CSRF_FIELD = "login_csrf"
_LOGIN_PATH = "/admin/login"
_LANGUAGE_KEPT = timedelta(days=365)
NextQuery = Annotated[str | None, Query(alias="next", max_length=500)]


def _login_form(
    request: Request,
    runtime: RuntimeDep,
    *,
    next_path: str,
    recovery: bool = False,
    email: str = "",
    message: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = render_page(
        request,
        "login.html.j2",
        viewer=None,
        status=status,
        login_csrf=token,
        next_path=next_path,
        recovery=recovery,
        email=email,
        message=message,
        notice=notice,
    )
    secure = cookies_secure(request, runtime.settings)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict", secure=secure, path=_LOGIN_PATH
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request, runtime: RuntimeDep, next_path: NextQuery = None, recovery: bool = False, bye: str | None = None
) -> HTMLResponse:
    notice = {"1": "login.logged_out", "all": "login.logged_out_everywhere"}.get(bye or "")
    return _login_form(request, runtime, next_path=safe_next(next_path), recovery=recovery, notice=notice)


@router.post("/login", response_class=HTMLResponse)
def log_in_with_form(request: Request, runtime: RuntimeDep, form: FormFields) -> Response:
    next_path = safe_next(form.get("next"))
    recovery = form.get("recovery") == "1"
    email = text(form, "email", limit=320)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), form.get(LOGIN_CSRF_FIELD, "").encode()):
        return _login_form(
            request, runtime, next_path=next_path, recovery=recovery, email=email, message="login.expired", status=400
        )
    password, code = form.get("password", ""), text(form, "code", limit=40)
    if len(password) > 1024:  # argon2 of a huge input is wasted work; the API refuses it the same way
        password = ""
    origin = staff_actor(
        None, ip=request.client.host if request.client else None, user_agent=request.headers.get("user-agent")
    )
    # A unit of its own, committed even when the login fails: the failure counter, the lockout and the audit
    # event must stay.
    with runtime.work(origin) as work:
        result = log_in(work, email=email, password=password, code=code or None)
        opened, staff = result.opened, result.staff
        if opened is not None and staff is not None:
            token, csrf_token = opened.token, opened.record.csrf_token
            must_change, enrolled = staff.must_change_password, staff.totp_enabled_at is not None
    if opened is None or staff is None:
        return _login_form(
            request, runtime, next_path=next_path, recovery=recovery, email=email, message="login.failed", status=401
        )
    # The first login goes through the steps the session is limited to; they lead on to the dashboard.
    to = "/admin/account/password" if must_change else next_path if enrolled else "/admin/account/totp"
    response = RedirectResponse(to, status_code=303)
    secure = cookies_secure(request, runtime.settings)
    set_login_cookies(response, token, csrf_token, int(ABSOLUTE_LIFETIME.total_seconds()), secure=secure)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=_LOGIN_PATH, httponly=True, samesite="strict", secure=secure)
    return response


@router.post("/logout")
def log_out(principal: CurrentPrincipal, work: WorkDep) -> Response:
    account.log_out(work, principal)
    response = RedirectResponse(f"{_LOGIN_PATH}?bye=1", status_code=303)
    forget_login_cookies(response)
    return response


@router.post("/logout-everywhere")
def log_out_everywhere(principal: CurrentPrincipal, work: WorkDep) -> Response:
    """Ends every session of the caller, on every device (a lost laptop, a shared computer)."""
    account.log_out_everywhere(work, principal)
    response = RedirectResponse(f"{_LOGIN_PATH}?bye=all", status_code=303)
    forget_login_cookies(response)
    return response


@router.get("/language")
def choose_language(
    request: Request,
    runtime: RuntimeDep,
    lang: Annotated[str, Query(pattern="^(en|sv)$")],
    next_path: NextQuery = None,
) -> Response:
    """A preference only (no personal data, nothing to protect), so a plain link can set it, even before login."""
    response = RedirectResponse(safe_next(next_path), status_code=303)
    response.set_cookie(
        LANG_COOKIE,
        lang,
        max_age=int(_LANGUAGE_KEPT.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=cookies_secure(request, runtime.settings),
    )
    return response
