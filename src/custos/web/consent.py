"""The public consent endpoints the banner talks to, the banner's own files, the GPC declaration, the demo
page, and the admin proof export.

The consent cookie is set here, by the server, HttpOnly: a cookie set from JavaScript is capped at 7 days by
Safari, which would ask visitors again every week; the banner learns the choice from GET /consent/state.
The visitor is known only by the random id in that cookie; no IP address is stored (GDPR Art. 5(1)(c)).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import datetime
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse

from custos.access.principal import Principal
from custos.consent import service
from custos.consent.ratelimit import RateLimited, RateLimiter
from custos.consent.schemas import ConsentCreate, ConsentHistory, ConsentRecordPublic, ConsentStatePublic
from custos.consent.terms import CONSENT_COOKIE, ConsentTerms, TermsCache, banner_config
from custos.consent.writer import ConsentWriter
from custos.errors import PermissionDenied
from custos.runtime import Runtime
from custos.web import errors
from custos.web.auth import Require, WorkDep
from custos.web.deps import RequestUnit, RuntimeDep, UnitDep

router = APIRouter(tags=["consent"])
admin_router = APIRouter(prefix="/api/v1/consent", tags=["consent"])

LangQuery = Annotated[str, Query(pattern="^(en|sv)$", description="en or sv")]


class Limits:
    """Per visitor and, wider, per client address (hashed, in memory only): a visitor id is a cookie the
    caller chooses, so the address bucket is what stops one client writing records under endless new ids."""

    def __init__(self, visitor: RateLimiter, address: RateLimiter) -> None:
        self.visitor = visitor
        self.address = address


def install(app: FastAPI) -> None:
    runtime = app.state.runtime
    app.state.consent_terms = TermsCache()
    app.state.consent_limits = Limits(
        RateLimiter(runtime.clock, capacity=60, per_second=2.0),
        RateLimiter(runtime.clock, capacity=600, per_second=20.0),
    )

    async def too_many(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RateLimited)
        response = errors.render(request, 429, errors.error_body(exc.code, exc.message))
        response.headers["Retry-After"] = str(max(1, round(exc.retry_after)))
        return response

    app.state.consent_writer = ConsentWriter(runtime)
    app.add_exception_handler(RateLimited, too_many)
    app.include_router(router)
    app.include_router(admin_router)


def shutdown(app: FastAPI) -> None:
    """Commit the choices still queued and stop the writer (called when the app stops)."""
    writer = app.state.consent_writer
    assert isinstance(writer, ConsentWriter)
    writer.close()


def current_terms(request: Request, runtime: Runtime) -> ConsentTerms:
    """The consent terms of the policy in force, computed once per policy."""
    cache = request.app.state.consent_terms
    assert isinstance(cache, TermsCache)
    return cache(runtime.policy)


def _visitor(request: Request) -> str | None:
    value = request.cookies.get(CONSENT_COOKIE)
    return value if service.is_visitor_id(value) else None


async def rate_limited(request: Request) -> None:
    limits = request.app.state.consent_limits
    assert isinstance(limits, Limits)
    address = request.client.host if request.client else "unknown"
    for limiter, key in ((limits.address, address), (limits.visitor, _visitor(request) or f"addr:{address}")):
        wait = limiter.allow(key)
        if wait:
            raise RateLimited(wait)


Limited = Depends(rate_limited)


def _gpc(request: Request, runtime: RuntimeDep) -> bool:
    # Sec-GPC: 1 is the visitor's objection by automated means; honoured unless the policy says otherwise.
    return request.headers.get("sec-gpc", "").strip() == "1" and current_terms(request, runtime).gpc_honoured


def ua_family(user_agent: str) -> str | None:
    """Only the browser family, never the full string: enough to explain a record, too little to single
    anyone out (Art. 5(1)(c))."""
    agent = user_agent.lower()
    for token, family in (("edg/", "edge"), ("firefox/", "firefox"), ("chrome/", "chrome"), ("safari/", "safari")):
        if token in agent:
            return family
    return "other" if agent else None


def _not_cross_site(request: Request, runtime: Runtime) -> None:
    # A page on another site must not be able to record a consent in the visitor's name (Art. 4(11): the
    # visitor's own act). Browsers say where a request comes from; the JSON body already forces a preflight,
    # which only the sites the policy lists pass (see _site).
    if request.headers.get("sec-fetch-site") == "cross-site" and _site(request, runtime) is None:
        raise PermissionDenied("Consent can only be recorded from this site.")


# -- the banner on another origin: CORS for the sites the policy lists (`consent.sites`) ----------------------


def _site(request: Request, runtime: Runtime) -> str | None:
    """The embedding page's origin, when it is one of the policy's sites."""
    origin = request.headers.get("origin")
    consent = runtime.policy.consent
    return origin if origin is not None and consent is not None and origin in consent.sites else None


def _cors(request: Request, runtime: Runtime) -> dict[str, str]:
    # With credentials, so the consent cookie goes along; never "*", only the listed site that asks. Vary
    # keeps a shared cache from answering one site with another's headers.
    site = _site(request, runtime)
    if site is None:
        return {"Vary": "Origin"}
    return {"Access-Control-Allow-Origin": site, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}


@router.options("/consent/records", include_in_schema=False)
def record_preflight(request: Request, runtime: RuntimeDep) -> Response:
    """The browser's preflight before a listed site's banner posts a choice; other origins get no permission."""
    headers = _cors(request, runtime)
    if "Access-Control-Allow-Origin" in headers:
        headers |= {
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
        }
    return Response(status_code=204, headers=headers)


@router.get("/consent/config", summary="The banner's texts and categories, from the policy")
def config(request: Request, runtime: RuntimeDep, lang: LangQuery = "en") -> JSONResponse:
    return JSONResponse(
        banner_config(runtime.policy, lang, current_terms(request, runtime)),
        headers={"Cache-Control": "public, max-age=300", **_cors(request, runtime)},
    )


@router.get("/consent/state", response_model=ConsentStatePublic, dependencies=[Limited])
def state(request: Request, response: Response, unit: UnitDep, runtime: RuntimeDep) -> ConsentStatePublic:
    terms = current_terms(request, runtime)
    now = service.current_state(unit.work(service.VISITOR), terms, _visitor(request), gpc=_gpc(request, runtime))
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(_cors(request, runtime))
    return ConsentStatePublic(
        choices=now.choices,
        ask=now.ask,
        reason=now.reason,
        kind=now.kind,
        decided_at=now.decided_at,
        expires_at=now.expires_at,
        decided_version=now.decided_version,
        version=terms.policy_version,
        gpc=now.gpc,
    )


@router.post("/consent/records", response_model=ConsentRecordPublic, status_code=201)
async def record(body: ConsentCreate, request: Request) -> Response:
    # Async, with no session of its own: the choice is checked here and written by the app's one consent
    # writer, which commits whatever is waiting together (custos.consent.writer); the answer, and the cookie,
    # wait for that commit. The checks are calls, not dependencies, and the answer is serialised once, here:
    # on this, the busiest public endpoint, FastAPI's per-dependency and response-model work cost more than
    # the database write.
    runtime = request.app.state.runtime
    assert isinstance(runtime, Runtime)
    await rate_limited(request)
    _not_cross_site(request, runtime)
    writer = request.app.state.consent_writer
    assert isinstance(writer, ConsentWriter)
    terms = current_terms(request, runtime)
    choice = service.Choice(
        choices=body.choices,
        method=body.method,
        gpc=_gpc(request, runtime),
        ua_family=ua_family(request.headers.get("user-agent", "")),
    )
    pending = service.prepare(runtime.clock, terms, _visitor(request), choice)
    saved = await writer.write(pending)
    public = ConsentRecordPublic.model_validate(saved, from_attributes=True)
    return Response(
        public.model_dump_json(),
        status_code=201,
        media_type="application/json",
        headers={
            "Cache-Control": "no-store",
            "Set-Cookie": _consent_cookie(saved.visitor_id, terms, request, runtime),
            **_cors(request, runtime),
        },
    )


def _consent_cookie(visitor_id: str, terms: ConsentTerms, request: Request, runtime: Runtime) -> str:
    """The Set-Cookie value, written out: the visitor id is hex, so nothing needs quoting (and the standard
    library's cookie class was a tenth of this endpoint's time).

    Max-Age equals the record's validity (≤ 365 days); SameSite=Lax so it comes along on navigation to the
    site; HttpOnly since only the server reads it; Secure whenever the site is served over HTTPS. Posted from
    a listed site on another *site* (not just another origin), it must be SameSite=None to come back at all,
    which browsers accept only with Secure; Partitioned keeps it to that one site (CHIPS), so it is not a
    cross-site identifier. docs/consent.md says which browsers still refuse it."""
    max_age = int(terms.validity.total_seconds())
    cookie = f"{CONSENT_COOKIE}={visitor_id}; HttpOnly; Max-Age={max_age}; Path=/"
    if request.headers.get("sec-fetch-site") == "cross-site":
        return cookie + "; SameSite=none; Secure; Partitioned"
    secure = request.scope.get("scheme") == "https" or runtime.settings.public_url.startswith("https://")
    return cookie + "; SameSite=lax" + ("; Secure" if secure else "")


@router.get(
    "/consent/records/me",
    response_model=ConsentHistory,
    dependencies=[Limited],
    responses={200: {"content": {"text/html": {}}, "description": "HTML for a browser (Accept: text/html)"}},
)
def my_records(
    request: Request,
    response: Response,
    unit: UnitDep,
    runtime: RuntimeDep,
    lang: Annotated[str | None, Query(pattern="^(en|sv)$", description="en or sv, for the page")] = None,
) -> Response | ConsentHistory:
    """The visitor's own history, found by the consent cookie (Art. 15); without the cookie, none. A browser
    (Accept: text/html) gets it as a page in its language; an API client, and `/consent/records/me.json`, JSON."""
    history = _history(request, unit)
    if _wants_html(request):
        return _records_page(request, runtime, history, lang)
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(_cors(request, runtime))
    return history


@router.get("/consent/records/me.json", response_model=ConsentHistory, dependencies=[Limited])
def my_records_json(request: Request, response: Response, unit: UnitDep, runtime: RuntimeDep) -> ConsentHistory:
    """The visitor's own history as JSON, whatever the browser asks for (the page links here)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(_cors(request, runtime))
    return _history(request, unit)


def _history(request: Request, unit: RequestUnit) -> ConsentHistory:
    visitor = _visitor(request)
    items = service.history(unit.work(service.VISITOR), visitor) if visitor else []
    return ConsentHistory(items=[ConsentRecordPublic.model_validate(r, from_attributes=True) for r in items])


def _wants_html(request: Request) -> bool:
    """A browser's navigation asks for text/html before JSON; fetch() and API clients ask for JSON or */*."""
    accept = request.headers.get("accept", "").lower()
    html, json_at = accept.find("text/html"), accept.find("application/json")
    return html >= 0 and (json_at < 0 or html < json_at)


def _records_page(request: Request, runtime: Runtime, history: ConsentHistory, lang: str | None) -> Response:
    from custos.web.rights import page_language, render_public

    language = page_language(request, runtime, lang)
    terms = current_terms(request, runtime)
    titles = {c["id"]: c["name"] for c in banner_config(runtime.policy, language, terms)["categories"]}
    records = list(reversed(history.items))  # newest first
    return render_public(
        request,
        runtime,
        "consent_records.html.j2",
        language,
        records=records,
        titles=titles,
        now=runtime.clock.now(),
        json_href="/consent/records/me.json",
    )


def _static(name: str, media_type: str) -> Response:
    body = (resources.files("custos.consent") / "static" / name).read_bytes()
    return Response(body, media_type=media_type, headers={"Cache-Control": "public, max-age=3600"})


@router.get("/consent/banner.js", include_in_schema=False)
def banner_js() -> Response:
    return _static("banner.js", "text/javascript; charset=utf-8")


@router.get("/consent/banner.css", include_in_schema=False)
def banner_css() -> Response:
    return _static("banner.css", "text/css; charset=utf-8")


@router.get("/consent/consent-default.js", include_in_schema=False)
def consent_default_js() -> Response:
    """Google Consent Mode v2's default-denied call, for sites with Google tags: the first script on the page."""
    return _static("consent-default.js", "text/javascript; charset=utf-8")


@router.get("/.well-known/gpc.json", include_in_schema=False)
def gpc_declaration(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """The GPC support resource (GPC spec §3.5): whether this site honours the signal."""
    terms = current_terms(request, runtime)
    return JSONResponse({"gpc": terms.gpc_honoured, "lastUpdate": terms.policy_version.isoformat()})


# -- the demo: a page with the banner and a fake analytics script, so a newcomer sees blocking work ---------


@router.get("/consent/demo", response_class=HTMLResponse, include_in_schema=False)
def demo(lang: LangQuery = "en") -> HTMLResponse:
    # A strict CSP with a nonce and no 'unsafe-inline': the banner works under the policy a careful site has.
    nonce = secrets.token_urlsafe(16)
    page = (resources.files("custos.consent") / "static" / "demo.html").read_text("utf-8")
    csp = (
        f"default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic'; style-src 'self'; img-src 'self' data:; "
        "frame-src 'self'; object-src 'none'; base-uri 'none'"
    )
    body = page.replace("{nonce}", nonce).replace("{lang}", lang)
    return HTMLResponse(body, headers={"Content-Security-Policy": csp, "Cache-Control": "no-store"})


@router.get("/consent/demo/fake-analytics.js", include_in_schema=False)
def demo_analytics() -> Response:
    return _static("fake-analytics.js", "text/javascript; charset=utf-8")


@router.get("/consent/demo/collect", status_code=204, include_in_schema=False)
def demo_collect() -> Response:
    """Where the fake analytics reports a page view; it keeps nothing."""
    return Response(status_code=204)


# -- the admin proof export (Art. 7(1)) ---------------------------------------------------------------------


@admin_router.get("/records", summary="Consent records as JSON lines, for one visitor or a time range")
def export_records(
    principal: Annotated[Principal, Require("consent.read")],
    work: WorkDep,
    visitor: Annotated[str | None, Query(description="a visitor id (the consent cookie's value)")] = None,
    since: Annotated[datetime | None, Query(alias="from", description="from this time, ISO 8601")] = None,
    until: Annotated[datetime | None, Query(alias="to", description="until this time (exclusive)")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_EXPORT)] = 10_000,
) -> StreamingResponse:
    found = service.export(work, visitor_id=visitor, since=since, until=until, limit=limit)
    lines = [ConsentRecordPublic.model_validate(r, from_attributes=True).model_dump_json() + "\n" for r in found]

    def chunks() -> Iterator[str]:
        yield from lines

    return StreamingResponse(chunks(), media_type="application/x-ndjson")
