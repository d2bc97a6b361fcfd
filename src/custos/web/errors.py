"""The one place where domain errors become HTTP responses, in one JSON shape.

Shape: {"error": {"code": str, "message": str, "problems": [{"location", "message", "line", "hint"}]}}.
API callers (paths under /api/, or clients asking for JSON) get JSON; people in a browser get a page. On the
admin pages a browser is sent to the step it has to take first (log in, change the one-time password, set up
the authenticator) instead of an error, and any other error is a page in the admin's own look and language.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from custos.errors import (
    ConfigurationError,
    Conflict,
    CustosError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PolicyInvalid,
    Problem,
    SystemFailed,
    Unauthenticated,
)
from custos.web.admin.pages import error_page

log = logging.getLogger("custos.web")

STATUS: dict[type[CustosError], int] = {
    NotFound: 404,
    InvalidInput: 422,
    Conflict: 409,
    PermissionDenied: 403,  # and its kinds: mfa_required, password_change_required, csrf_rejected
    Unauthenticated: 401,
    PolicyInvalid: 422,
    ConfigurationError: 500,
    # Custos is fine; the organisation's own system behind it failed (and was rolled back): a bad gateway.
    SystemFailed: 502,
}


def status_for(exc: CustosError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def error_body(code: str, message: str, problems: list[Problem] | None = None) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "problems": [
                {"location": p.location, "message": p.message, "line": p.line, "hint": p.hint} for p in problems or []
            ],
        }
    }


def _wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api/") or path in ("/healthz", "/openapi.json"):
        return True
    # The banner's endpoints are called by scripts, whatever Accept they send; only the demo page is a page.
    if path.startswith("/consent/") and not path.startswith("/consent/demo"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


# Error codes a person at an admin page resolves by doing something, and the page where they do it.
_ADMIN_NEXT_STEP = {
    "unauthenticated": "/admin/login",
    "password_change_required": "/admin/account/password",
    "mfa_required": "/admin/account/totp",
}


def _is_admin_page(request: Request) -> bool:
    return request.url.path == "/admin" or request.url.path.startswith("/admin/")


def _redirect(request: Request, to: str) -> Response:
    if to == "/admin/login" and request.method == "GET":
        # Back to the page asked for after logging in; only a local admin path is ever followed from `next`.
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        to = f"{to}?{urlencode({'next': wanted})}"
    if request.headers.get("hx-request") == "true":
        # htmx would follow a 303 inside its XHR and swap the login page into a table; this makes it navigate.
        return Response(status_code=200, headers={"HX-Redirect": to})
    return RedirectResponse(to, status_code=303)


def render(request: Request, status: int, body: dict[str, Any]) -> Response:
    if _wants_json(request):
        return JSONResponse(body, status_code=status)
    err = body["error"]
    if _is_admin_page(request):
        step = _ADMIN_NEXT_STEP.get(err["code"])
        if step is not None and step != request.url.path:
            return _redirect(request, step)
        admin_page = error_page(request, status, err)
        if admin_page is not None:
            return admin_page
    items = "".join(f"<li>{_esc(p['location'])}: {_esc(p['message'])}</li>" for p in err["problems"])
    page = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{status} · Custos</title>'
        '<link rel="stylesheet" href="/static/custos.css"></head><body><main class="error">'
        f"<h1>{status}</h1><p>{_esc(err['message'])}</p>{f'<ul>{items}</ul>' if items else ''}"
        '<p><a href="/privacy">Privacy notice</a></p></main></body></html>'
    )
    return HTMLResponse(page, status_code=status)


def _esc(text: object) -> str:
    from html import escape

    return escape(str(text))


def install(app: FastAPI) -> None:
    async def domain_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, CustosError)
        status = status_for(exc)
        if status >= 500:
            log.error("configuration error: %s", exc)
        return render(request, status, error_body(exc.code, exc.message, exc.problems))

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = [
            Problem(location=".".join(str(p) for p in e.get("loc", ())), message=str(e.get("msg", "")))
            for e in exc.errors()
        ]
        return render(request, 422, error_body("invalid_input", "the request is not valid", problems))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated", 403: "permission_denied"}
        return render(request, exc.status_code, error_body(code.get(exc.status_code, "http_error"), str(exc.detail)))

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return render(
            request,
            500,
            error_body("internal_error", "Something went wrong on our side; it has been logged."),
        )

    app.add_exception_handler(CustosError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
