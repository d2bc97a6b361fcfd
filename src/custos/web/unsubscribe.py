"""The public unsubscribe link of every mailing: GET asks, POST unsubscribes (RFC 8058 one-click).

The POST needs no session and no CSRF token: the mail client's one-click POST has neither, and the token in the
path is the recipient's own capability. An unsubscribe is an objection to direct marketing (Art. 21(2)–(3)),
honoured at once (the suppression list is written before the answer) and audited.
"""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from custos.actor import Actor
from custos.errors import NotFound
from custos.mailings import sending
from custos.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",  # the token in the path must not leak to another site
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex",
}
_WORDS = {
    "en": {
        "title": "Unsubscribe",
        "ask": "Stop receiving mailings from {org}?",
        "button": "Unsubscribe",
        "done": "Done: you will get no more mailings from {org}.",
        "unknown": "This link is not valid. To stop mailings, write to {contact}.",
    },
    "sv": {
        "title": "Avsluta prenumeration",
        "ask": "Vill du sluta få utskick från {org}?",
        "button": "Avsluta",
        "done": "Klart: du får inga fler utskick från {org}.",
        "unknown": "Länken är inte giltig. Skriv till {contact} för att sluta få utskick.",
    },
}


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("custos.mailings", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
        undefined=StrictUndefined,
    )


def _page(runtime: RuntimeDep, state: str, status: int = 200) -> HTMLResponse:
    lang = "sv" if runtime.settings.language == "sv" else "en"
    org = runtime.policy.organisation
    body = (
        _environment()
        .get_template("unsubscribe.html.j2")
        .render(lang=lang, t=_WORDS[lang], state=state, organisation=org.name, contact=str(org.contacts.privacy))
    )
    return HTMLResponse(body, status_code=status, headers=_HEADERS)


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def ask(token: str, runtime: RuntimeDep) -> HTMLResponse:
    # Looking only: link scanners fetch with GET, so nothing changes here.
    with runtime.db.transaction() as session:
        try:
            sending.find_token(session, token)
        except NotFound:
            return _page(runtime, "unknown", 404)
    return _page(runtime, "ask")


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(token: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    client = request.client.host if request.client else None
    actor = Actor(
        kind="subject", id=None, label="subject:unsubscribe", ip=client, user_agent=request.headers.get("user-agent")
    )
    try:
        with runtime.work(actor) as work:
            sending.unsubscribe(work, token)
    except NotFound:
        return _page(runtime, "unknown", 404)
    return _page(runtime, "done")
