"""Who is calling, and `Require(permission)`: the HTTP side of least privilege (Art. 25(2), 32(4)).

A caller is a staff member with a session cookie, or an integration with `Authorization: Bearer <token>`.
Cookie-authenticated requests that change something must repeat the session's CSRF token in the
`X-CSRF-Token` header: a third-party page can make the browser send the cookie, but cannot read the token.
Every route under /api/ names its permission through `Require`, and a test walks the routes to prove it.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from custos import audit
from custos.access import grants, identify
from custos.access.permissions import CUSTOS_SCOPE, PERMISSIONS
from custos.access.principal import Principal, authorise
from custos.errors import CsrfRejected, PermissionDenied, Unauthenticated
from custos.web.deps import RuntimeDep

SESSION_COOKIE = "custos_session"
CSRF_COOKIE = "custos_csrf"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

ScopeOf = str | Callable[[Request], str]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def current_principal(request: Request, runtime: RuntimeDep) -> Principal:
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
        sent = request.headers.get(CSRF_HEADER, "")
        if not principal.csrf_token or not _same(sent, principal.csrf_token):
            raise CsrfRejected()
    return principal


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def Require(permission: str, scope: ScopeOf = CUSTOS_SCOPE) -> Any:
    """A dependency that lets the request through only with `permission` in `scope`, and returns the caller.

    `scope` is a fixed scope name or a function of the request (e.g. a system id from the path). A refusal
    is audited (Art. 32(1)(d): repeated refusals are a signal worth seeing). Usage:
    `principal: Annotated[Principal, Require("register.read")]`.
    """
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")  # a typo must fail at startup, not allow

    def require(request: Request, principal: CurrentPrincipal, runtime: RuntimeDep) -> Principal:
        needed = scope(request) if callable(scope) else scope
        try:
            used = authorise(principal, permission, needed, runtime.policy)
        except PermissionDenied as exc:
            with runtime.db.transaction() as session:
                audit.record(
                    session,
                    runtime.clock,
                    principal.actor,
                    "access.denied",
                    outcome="denied",
                    details={"permission": permission, "scope": needed, "reason": exc.code},
                )
            raise
        with runtime.db.transaction() as session:
            grants.record_use(session, runtime.clock.now(), used)
        return principal

    require.custos_permission = permission  # type: ignore[attr-defined]  # read by the route-walk test
    return Depends(require)


def permission_of(call: object) -> str | None:
    """The permission a dependency enforces, if it is a `Require` dependency."""
    value = getattr(call, "custos_permission", None)
    return value if isinstance(value, str) else None
