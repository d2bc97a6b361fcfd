"""Who is calling, and `Require(permission)`: the HTTP side of least privilege (Art. 25(2), 32(4)).

A caller is a staff member with a session cookie, or an integration with `Authorization: Bearer <token>`.
Cookie-authenticated requests that change something must repeat the session's CSRF token in the
`X-CSRF-Token` header or, for the admin pages' plain HTML forms, in a `csrf_token` form field: a third-party
page can make the browser send the cookie, but cannot read the token.
Every route under /api/ and /admin/ names its permission through `Require`, and a test walks the routes to
prove it.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import Depends, Request, Response

from custos.access import identify
from custos.access.enforce import enforce
from custos.access.permissions import CUSTOS_SCOPE, PERMISSIONS
from custos.access.principal import Principal
from custos.errors import (
    CsrfRejected,
    InvalidInput,
    PasswordChangeRequired,
    Problem,
    SecondFactorRequired,
    Unauthenticated,
)
from custos.settings import Settings
from custos.web.deps import RuntimeDep, UnitDep
from custos.work import Work

SESSION_COOKIE = "custos_session"
CSRF_COOKIE = "custos_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The admin forms are a few short fields; a larger body is refused before it is held in memory.
MAX_FORM_BYTES = 64 * 1024
_MAX_FORM_FIELDS = 50
# The one multipart form, an import's CSV upload: a body declaring more than this is refused before it is read.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024

ScopeOf = str | Callable[[Request], str]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def form_fields(request: Request) -> dict[str, str]:
    """The fields of a url-encoded form body, or {} for any other request.

    Parsed with the standard library rather than python-multipart: the admin pages only post short
    url-encoded forms (never files), so a dependency would buy nothing. A repeated field keeps its last value.
    """
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if request.method not in _SAFE_METHODS and content_type == "multipart/form-data":
        return await _multipart_fields(request)
    if request.method in _SAFE_METHODS or content_type != "application/x-www-form-urlencoded":
        return {}
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise InvalidInput("the form is too large", [Problem("body", f"at most {MAX_FORM_BYTES} bytes")])
    try:
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=_MAX_FORM_FIELDS)
    except ValueError:
        raise InvalidInput("the form has too many fields", [Problem("body", f"at most {_MAX_FORM_FIELDS}")]) from None
    return dict(pairs)


async def _multipart_fields(request: Request) -> dict[str, str]:
    """The text fields of an upload form (its CSRF token among them). The file's name and bytes are left in
    `request.state.upload` for the route, and the parsed form is closed at once (no temporary file outlives it)."""
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > MAX_UPLOAD_BYTES + MAX_FORM_BYTES:
        raise InvalidInput(
            "the file is too large", [Problem("file", f"at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")]
        )
    form = await request.form(max_files=1, max_fields=_MAX_FORM_FIELDS)
    fields: dict[str, str] = {}
    try:
        for key, value in form.multi_items():
            if isinstance(value, str):
                fields[key] = value
            else:
                request.state.upload = (value.filename or "", await value.read())
    finally:
        await form.close()
    return fields


FormFields = Annotated[dict[str, str], Depends(form_fields)]


def current_principal(request: Request, runtime: RuntimeDep, form: FormFields) -> Principal:
    """The authenticated caller. Resolved in its own short transaction, committed before the route runs, so
    that the session's idle clock and a token's last use are kept even when the route later fails."""
    ip = request.client.host if request.client else None
    agent = request.headers.get("user-agent")
    bearer = _bearer(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    with runtime.db.transaction() as session:
        if bearer is not None:
            principal = identify.from_api_token(session, runtime.clock, bearer, ip=ip, user_agent=agent)
        elif cookie:
            principal = identify.from_session_cookie(session, runtime.clock, cookie, ip=ip, user_agent=agent)
        else:
            principal = None
    if principal is None:
        if bearer is not None:
            raise Unauthenticated("The API token is unknown, expired or revoked.")
        raise Unauthenticated("Log in first." if not cookie else "Your session has ended; log in again.")
    if principal.via == "session" and request.method not in _SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD, "")
        if not principal.csrf_token or not _same(sent, principal.csrf_token):
            raise CsrfRejected()
    return principal


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def signed_in(principal: CurrentPrincipal) -> Principal:
    """A caller who has finished logging in (own password set, second factor proved), whatever their grants.

    For pages that show only what the caller's own grants allow, such as the admin dashboard; the same
    session rule as `authorise` (Art. 32(1)): a password-only session gets nothing but its own account.
    """
    if principal.via == "session":
        if principal.must_change_password:
            raise PasswordChangeRequired()
        if not principal.second_factor:
            raise SecondFactorRequired()
    return principal


SignedIn = Annotated[Principal, Depends(signed_in)]


def caller_work(unit: UnitDep, principal: CurrentPrincipal) -> Work:
    """The route's unit of work, audited as the authenticated caller. Permission is the route's own `Require`."""
    return unit.work(principal.actor)


WorkDep = Annotated[Work, Depends(caller_work)]


def cookies_secure(request: Request, settings: Settings) -> bool:
    """Secure cookies whenever the site is reached over HTTPS (directly or behind a TLS proxy)."""
    return request.url.scheme == "https" or settings.public_url.startswith("https://")


def set_login_cookies(response: Response, token: str, csrf_token: str, max_age: int, *, secure: bool) -> None:
    """The session cookie (HttpOnly: scripts never see it) and the CSRF cookie (readable, for double submit)."""
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="strict", secure=secure)
    response.set_cookie(CSRF_COOKIE, csrf_token, max_age=max_age, httponly=False, samesite="strict", secure=secure)


def forget_login_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict")
    response.delete_cookie(CSRF_COOKIE, samesite="strict")


def Require(permission: str, scope: ScopeOf = CUSTOS_SCOPE) -> Any:
    """A dependency that lets the request through only with `permission` in `scope`, and returns the caller.

    `scope` is a fixed scope name or a function of the request (e.g. a system id from the path). A refusal
    is audited (Art. 32(1)(d): repeated refusals are a signal worth seeing). Usage:
    `principal: Annotated[Principal, Require("register.read")]`.
    """
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")  # a typo must fail at startup, not allow

    def require(request: Request, principal: CurrentPrincipal, runtime: RuntimeDep) -> Principal:
        return enforce(runtime, principal, permission, scope(request) if callable(scope) else scope)

    require.custos_permission = permission  # type: ignore[attr-defined]  # read by the route-walk test
    return Depends(require)


def permission_of(call: object) -> str | None:
    """The permission a dependency enforces, if it is a `Require` dependency."""
    value = getattr(call, "custos_permission", None)
    return value if isinstance(value, str) else None
