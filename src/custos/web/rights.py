"""The public pages where a data subject makes a request and follows it: `/rights` in English and Swedish.

Plain HTML forms, no scripts, no cookies: the private status link and the one-time codes are what identify a
request. Posts are rate-limited per client address (hashed, in memory only) and refused from other sites, and
malformed input comes back on the form with what is wrong next to it. The pages never show the subject's
data; the package is downloaded only after a one-time code sent to the request's address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from custos.actor import Actor
from custos.consent.ratelimit import RateLimited, RateLimiter
from custos.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from custos.requests import answers, cases, intake
from custos.requests.schemas import StatusPublic, request_from_form
from custos.requests.states import KINDS, OPEN
from custos.texts import LANGUAGES, Language, Texts, read_texts
from custos.web.admin.forms import FormError, text
from custos.web.auth import FormFields
from custos.web.deps import RuntimeDep
from custos.web.rights_pages import checks

router = APIRouter(tags=["rights"], include_in_schema=False)
_OPEN = OPEN  # the due date still runs

LangQuery = Annotated[str | None, Query(pattern="^(en|sv)$")]
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the status and download links carry secrets
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
}


class Words(Texts):
    what = "the rights pages"

    def __call__(self, key: str, **values: object) -> str:
        return self.text(key).format(**values) if values else self.text(key)


@dataclass(frozen=True)
class RightsUI:
    environment: Environment
    words: dict[Language, Words]
    limiter: RateLimiter


def install(app: FastAPI) -> None:
    environment = Environment(
        loader=PackageLoader("custos.web.rights_pages", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # The subject reads times on the organisation's clock with the offset, and the day their request arrived
    # on there (the day its month counts from, Reg. 1182/71 Art. 3).
    where = app.state.runtime.policy.jurisdiction
    environment.filters["when"] = where.format_time
    environment.filters["local_day"] = lambda at: where.local_date(at).isoformat()
    words = {lang: Words(lang, read_texts("custos.web.rights_pages", lang)) for lang in LANGUAGES}
    # A person sends a handful of posts; a script sending hundreds is what this stops.
    limiter = RateLimiter(app.state.runtime.clock, capacity=20, per_second=0.2)
    app.state.rights_ui = RightsUI(environment, words, limiter)
    app.include_router(router)


def _ui(request: Request) -> RightsUI:
    ui = request.app.state.rights_ui
    assert isinstance(ui, RightsUI)
    return ui


def _lang(runtime: RuntimeDep, value: str | None, default: str) -> Language:
    """`value` (the page's ?lang=) or `default`, if the policy publishes in it; else the policy's first language."""
    published = runtime.policy.jurisdiction.languages
    return next((lang for lang in published if lang == (value or default)), published[0])


def _page(
    request: Request, runtime: RuntimeDep, template: str, lang: Language, http_status: int = 200, **values: Any
) -> HTMLResponse:
    ui = _ui(request)
    others = [other for other in runtime.policy.jurisdiction.languages if other != lang]
    body = ui.environment.get_template(template).render(
        w=ui.words[lang],
        lang=lang,
        organisation=runtime.policy.organisation.name,
        other_lang=others[0] if others else None,
        other_lang_href=f"{request.url.path}?lang={others[0]}" if others else None,
        **values,
    )
    return HTMLResponse(body, status_code=http_status, headers={**HEADERS, "Content-Language": lang})


def page_language(request: Request, runtime: RuntimeDep, value: str | None) -> Language:
    """The language of a public page: ?lang=, else the browser's first published language, else the setting."""
    if value is None:
        wanted = [
            part.split(";")[0].strip()[:2].lower() for part in request.headers.get("accept-language", "").split(",")
        ]
        value = next((lang for lang in wanted if lang in runtime.policy.jurisdiction.languages), None)
    return _lang(runtime, value, runtime.settings.language)


def render_public(
    request: Request, runtime: RuntimeDep, template: str, lang: Language, http_status: int = 200, **values: Any
) -> HTMLResponse:
    """A public page in the rights pages' layout and wording (the consent record page uses it too)."""
    return _page(request, runtime, template, lang, http_status, **values)


def limited(request: Request) -> None:
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise PermissionDenied("Requests can only be sent from this site.")
    address = request.client.host if request.client else "unknown"
    wait = _ui(request).limiter.allow(address)
    if wait:
        raise RateLimited(wait)


Limited = Depends(limited)


# The subject is not a staff member; the audit log keeps no address of theirs, only that it was the subject.
_SUBJECT = Actor(kind="subject", id=None, label="subject:web")


def _subject(request: Request) -> Actor:
    return _SUBJECT


_FIELDS = ("kind", "email", "phone", "organisation", "details", "processor_service")


@router.get("/rights", response_class=HTMLResponse)
def rights_form(request: Request, runtime: RuntimeDep, lang: LangQuery = None) -> HTMLResponse:
    language = _lang(runtime, lang, runtime.settings.language)
    return _form_page(request, runtime, language, dict.fromkeys(_FIELDS, ""), None)


@router.post("/rights", response_class=HTMLResponse, dependencies=[Limited])
def rights_submit(request: Request, runtime: RuntimeDep, form: FormFields, lang: LangQuery = None) -> HTMLResponse:
    language = _lang(runtime, lang, runtime.settings.language)
    w = _ui(request).words[language]
    kept = {name: text(form, name, limit=checks.LIMITS.get(name, 320) + 1) for name in _FIELDS}
    # Every field is checked at once and each problem said in the visitor's words, next to its field.
    problems = checks.check(
        w,
        {name: form.get(name, "") for name in _FIELDS},
        phone_region=runtime.policy.jurisdiction.phone_region,
        processors={p.id for p in runtime.policy.processor},
    )
    if problems:
        return _form_page(request, runtime, language, kept, FormError(w("rights.problems_intro"), problems))
    try:
        data = request_from_form(
            {
                "kind": kept["kind"],
                "email": kept["email"],
                "phone": kept["phone"] or None,
                "organisation": kept["organisation"] or None,
                "details": kept["details"] or None,
                "language": language,
                "processor_service": kept["processor_service"] or None,
            }
        )
        result = intake.submit(runtime, _subject(request), data, channel="web")
    except InvalidInput as exc:
        error = FormError(w("rights.problems_intro"), checks.from_service(w, exc))
        return _form_page(request, runtime, language, kept, error)
    return _page(request, runtime, "sent.html.j2", language, http_status=201, result=result)


def _form_page(
    request: Request, runtime: RuntimeDep, language: Language, form: dict[str, str], error: FormError | None
) -> HTMLResponse:
    return _page(
        request,
        runtime,
        "form.html.j2",
        language,
        http_status=422 if error else 200,
        kinds=KINDS,
        processors=runtime.policy.processor,
        form=form,
        error=error,
    )


def _status(runtime: RuntimeDep, secret: str) -> StatusPublic:
    with runtime.work(_SUBJECT) as work:
        req = cases.by_status_token(work.session, secret)
        until = None
        if req.state == "completed" and req.package_path:
            try:
                _, link = answers.status_download_link(work, secret)
                until = cases.local_day(link.expires_at - timedelta(microseconds=1), runtime.policy.jurisdiction)
            except (NotFound, Conflict):
                until = None
        due = cases.current_due(req)
        today = cases.today_local(runtime.clock, runtime.policy.jurisdiction)
        days_left = (due - today).days if req.state in _OPEN else None
        return StatusPublic(
            ref=req.ref,
            kind=req.kind,
            state=req.state,
            received_at=req.received_at,
            due_on=cases.current_due(req),
            extended=req.extended_due_on is not None,
            language=req.language,
            events=[(e.at, e.to_state) for e in req.events if e.to_state],
            download_ready=until is not None,
            days_left=days_left,
            download_until=until,
        )


@router.get("/rights/status/{secret}", response_class=HTMLResponse)
def status_page(request: Request, secret: str, runtime: RuntimeDep, lang: LangQuery = None) -> HTMLResponse:
    status = _status(runtime, secret)
    language = _lang(runtime, lang, status.language)
    return _page(
        request,
        runtime,
        "status.html.j2",
        language,
        status=status,
        notice=None,
        resend_action=f"/rights/status/{secret}/resend",
        download_action=f"/rights/status/{secret}/download",
    )


@router.post("/rights/status/{secret}/resend", response_class=HTMLResponse, dependencies=[Limited])
def resend(request: Request, secret: str, runtime: RuntimeDep) -> HTMLResponse:
    status = _status(runtime, secret)
    intake.send_verification(runtime, status.ref, _subject(request))
    language = _lang(runtime, None, status.language)
    return _page(
        request,
        runtime,
        "status.html.j2",
        language,
        status=_status(runtime, secret),
        notice=_ui(request).words[language]("rights.resent"),
        resend_action=f"/rights/status/{secret}/resend",
        download_action=f"/rights/status/{secret}/download",
    )


@router.get("/rights/verify/{ref}", response_class=HTMLResponse)
def verify_page(
    request: Request,
    ref: str,
    runtime: RuntimeDep,
    code: Annotated[str, Query(max_length=100)] = "",
    lang: LangQuery = None,
) -> HTMLResponse:
    # Confirmed by a button, not by opening the link: mail scanners open links, and must not confirm for anyone.
    with runtime.work(_subject(request)) as work:
        req = cases.load(work.session, ref)
        language = _lang(runtime, lang, req.language)
    return _page(request, runtime, "verify.html.j2", language, ref=ref, code=code, done=False, error=None)


@router.post("/rights/verify/{ref}", response_class=HTMLResponse, dependencies=[Limited])
def verify_submit(
    request: Request, ref: str, runtime: RuntimeDep, form: FormFields, lang: LangQuery = None
) -> HTMLResponse:
    code = text(form, "code", limit=100)
    with runtime.work(_subject(request)) as work:
        language = _lang(runtime, lang, cases.load(work.session, ref).language)
    try:
        intake.confirm(runtime, ref, code, _subject(request))
    except (InvalidInput, Conflict) as exc:
        return _page(
            request,
            runtime,
            "verify.html.j2",
            language,
            http_status=422,
            ref=ref,
            code=code,
            done=False,
            error=exc.message,
        )
    return _page(request, runtime, "verify.html.j2", language, ref=ref, code="", done=True, error=None)


def _download_lang(runtime: RuntimeDep, secret: str, lang: str | None, via_status: bool) -> Language:
    with runtime.work(_SUBJECT) as work:
        if via_status:
            req, _ = answers.status_download_link(work, secret)
        else:
            req, _ = answers.download_link(work, secret)
        return _lang(runtime, lang, req.language)


def _download_base(secret: str, via_status: bool) -> str:
    return f"/rights/status/{secret}/download" if via_status else f"/rights/download/{secret}"


def _download_form(request: Request, runtime: RuntimeDep, secret: str, lang: str | None, via_status: bool) -> Response:
    language = _download_lang(runtime, secret, lang, via_status)
    base = _download_base(secret, via_status)
    return _page(request, runtime, "download.html.j2", language, base=base, sent=False, error=None)


def _download_code(request: Request, runtime: RuntimeDep, secret: str, lang: str | None, via_status: bool) -> Response:
    language = _download_lang(runtime, secret, lang, via_status)
    answers.send_download_code(runtime, secret, _subject(request), via_status=via_status)
    base = _download_base(secret, via_status)
    return _page(request, runtime, "download.html.j2", language, base=base, sent=True, error=None)


def _download_file(
    request: Request, runtime: RuntimeDep, secret: str, form: dict[str, Any], lang: str | None, via_status: bool
) -> Response:
    language = _download_lang(runtime, secret, lang, via_status)
    code = text(form, "code", limit=20)
    try:
        ref, path = answers.open_download(runtime, secret, code, _subject(request), via_status=via_status)
    except InvalidInput as exc:
        base = _download_base(secret, via_status)
        return _page(
            request, runtime, "download.html.j2", language, http_status=422, base=base, sent=False, error=exc.message
        )
    return FileResponse(
        path, media_type="application/zip", filename=f"{ref}.zip", headers={"Cache-Control": "no-store"}
    )


@router.get("/rights/download/{token}", response_class=HTMLResponse)
def download_page(request: Request, token: str, runtime: RuntimeDep, lang: LangQuery = None) -> Response:
    return _download_form(request, runtime, token, lang, False)


@router.post("/rights/download/{token}/code", response_class=HTMLResponse, dependencies=[Limited])
def download_code(request: Request, token: str, runtime: RuntimeDep, lang: LangQuery = None) -> Response:
    return _download_code(request, runtime, token, lang, False)


@router.post("/rights/download/{token}", dependencies=[Limited], response_model=None)
def download(request: Request, token: str, runtime: RuntimeDep, form: FormFields, lang: LangQuery = None) -> Response:
    return _download_file(request, runtime, token, form, lang, False)


# The same download, reached from the private status page once the package is ready (behind the same code).


@router.get("/rights/status/{secret}/download", response_class=HTMLResponse)
def status_download_page(request: Request, secret: str, runtime: RuntimeDep, lang: LangQuery = None) -> Response:
    return _download_form(request, runtime, secret, lang, True)


@router.post("/rights/status/{secret}/download/code", response_class=HTMLResponse, dependencies=[Limited])
def status_download_code(request: Request, secret: str, runtime: RuntimeDep, lang: LangQuery = None) -> Response:
    return _download_code(request, runtime, secret, lang, True)


@router.post("/rights/status/{secret}/download", dependencies=[Limited], response_model=None)
def status_download(
    request: Request, secret: str, runtime: RuntimeDep, form: FormFields, lang: LangQuery = None
) -> Response:
    return _download_file(request, runtime, secret, form, lang, True)
