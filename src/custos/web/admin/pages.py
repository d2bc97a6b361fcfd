"""What every admin page shares: who is looking, what they may open, the language, and the one way to render.

The navigation shows only the areas the viewer's grants open (least privilege is also what one is shown,
Art. 25(2)); the pages themselves still check their permission, so a hidden link is never the protection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from custos.access.models import Staff
from custos.access.permissions import CUSTOS_SCOPE, PERMISSIONS
from custos.access.principal import Principal, holds
from custos.policy import Policy
from custos.web.admin.texts import LANGUAGES, Language, as_language
from custos.web.admin.ui import AdminUI, ui_of
from custos.web.auth import CurrentPrincipal
from custos.web.deps import RuntimeDep, get_runtime

LANG_COOKIE = "custos_lang"

# Pages hold personal data and one-time secrets: no cache may keep them, no other site may frame them
# (clickjacking), and nothing but our own files may run on them.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


@dataclass(frozen=True)
class NavItem:
    key: str  # its text is nav.<key>
    href: str
    permission: str | None  # None: every signed-in member
    # Shown when the permission is held for any scope: a system owner's grant names their systems, not Custos.
    anywhere: bool = False


NAV: tuple[NavItem, ...] = (
    NavItem("dashboard", "/admin", None),
    NavItem("people", "/admin/people", "register.read"),
    NavItem("organisations", "/admin/organisations", "register.read"),
    NavItem("imports", "/admin/imports", "register.import"),
    NavItem("retention", "/admin/retention", "retention.read"),
    NavItem("requests", "/admin/requests", "requests.manage"),
    NavItem("consent", "/admin/consent", "consent.read"),
    NavItem("incidents", "/admin/incidents", "incidents.read"),
    NavItem("systems", "/admin/systems", "systems.read"),
    NavItem("system_tasks", "/admin/systems/tasks", "systems.tasks", anywhere=True),
    NavItem("records", "/admin/records", "records.read"),
    NavItem("selections", "/admin/selections", "register.read"),
    NavItem("staff", "/admin/staff", "staff.manage"),
    NavItem("review", "/admin/access-review", "staff.manage"),
    NavItem("audit", "/admin/audit", "audit.read"),
    NavItem("doctor", "/admin/doctor", "doctor.read"),
)


@dataclass(frozen=True)
class Viewer:
    staff_id: int
    name: str
    email: str
    csrf_token: str | None
    may: frozenset[str]  # permissions held for Custos's own data; empty until the login steps are done
    signed_in: bool
    held_somewhere: frozenset[str] = frozenset()  # permissions held for at least one scope

    def can(self, permission: str) -> bool:
        return permission in self.may


def current_viewer(principal: CurrentPrincipal, runtime: RuntimeDep) -> Viewer:
    """Declared after the route's `Require(...)`, so it runs only for a caller already let through."""
    with runtime.db.transaction() as session:
        staff = session.get(Staff, principal.staff_id)
        assert staff is not None  # a live principal's account exists
        name, email = staff.name, staff.email
    return Viewer(
        staff_id=principal.staff_id,
        name=name,
        email=email,
        csrf_token=principal.csrf_token,
        may=_permissions(principal, runtime.policy) if _done(principal) else frozenset(),
        signed_in=_done(principal),
        held_somewhere=frozenset(principal.permissions()) if _done(principal) else frozenset(),
    )


def _done(principal: Principal) -> bool:
    return principal.second_factor and not principal.must_change_password


def _permissions(principal: Principal, policy: Policy) -> frozenset[str]:
    return frozenset(p for p in PERMISSIONS if holds(principal.grants, p, CUSTOS_SCOPE, policy))


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


def language(request: Request, default: str) -> Language:
    return as_language(request.cookies.get(LANG_COOKIE), as_language(default, "en"))


def safe_next(value: str | None) -> str:
    """A local admin path to go to after a step, never another site (an open redirect helps phishing)."""
    if value and value.startswith("/admin") and not value.startswith("//") and "\\" not in value:
        return value
    return "/admin"


def is_fragment_request(request: Request, target: str) -> bool:
    """An htmx request that swaps only `#target`; a history restore needs the whole page."""
    headers = request.headers
    return (
        headers.get("hx-request") == "true"
        and headers.get("hx-target") == target
        and headers.get("hx-history-restore-request") != "true"
    )


_TASK_PAGE = re.compile(r"^/admin/systems/[^/]+/tasks/\d+")


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def _context(request: Request, ui: AdminUI, lang: Language, viewer: Viewer | None) -> dict[str, object]:
    here = _here(request)
    others = [
        (other, ui.words[other]("layout.language_name"), "/admin/language?" + urlencode({"lang": other, "next": here}))
        for other in LANGUAGES
        if other != lang
    ]
    path = request.url.path
    matching = [i.href for i in NAV if i.href == path or (i.href != "/admin" and path.startswith(i.href))]
    # The most specific entry is the current one (/admin/systems/tasks, not also /admin/systems); one task's
    # page (/admin/systems/<id>/tasks/<n>) belongs to the owner's task list, not to the inventory.
    current = max(matching, key=len, default=None)
    if _TASK_PAGE.match(path):
        current = "/admin/systems/tasks"
    nav = [
        (item, item.href == current)
        for item in NAV
        if viewer is not None
        and viewer.signed_in
        and (
            item.permission is None
            or viewer.can(item.permission)
            or (item.anywhere and item.permission in viewer.held_somewhere)
        )
    ]
    return {
        "w": ui.words[lang],
        "lang": lang,
        "others": others,
        "viewer": viewer,
        "nav": nav,
        "htmx": ui.htmx,
        "csrf_token": viewer.csrf_token if viewer is not None else None,
        "path": request.url.path,
        # The languages the organisation writes to people in (policy organisation.languages), for letters and
        # mailings; the admin's own language (`others`) is the staff member's choice.
        "published_languages": [
            (code, ui.words[code]("layout.language_name"))
            for code in get_runtime(request).policy.jurisdiction.languages
        ],
    }


def render_page(
    request: Request,
    template: str,
    *,
    viewer: Viewer | None,
    status: int = 200,
    **values: object,
) -> HTMLResponse:
    ui = ui_of(request)
    assert ui is not None, "the admin UI is installed by create_app"
    lang = language(request, get_runtime(request).settings.language)
    body = ui.render(template, **_context(request, ui, lang, viewer), **values)
    return HTMLResponse(body, status_code=status, headers={**SECURITY_HEADERS, "Content-Language": lang})


def error_page(request: Request, status: int, error: dict[str, Any]) -> HTMLResponse | None:
    """The admin's error page (one renderer: `custos.web.errors.render` calls this for /admin paths)."""
    ui = ui_of(request)
    if ui is None:
        return None
    lang = language(request, get_runtime(request).settings.language)
    words = ui.words[lang]
    heading = f"errors.{status}" if words.has(f"errors.{status}") else "errors.other"
    body = ui.render(
        "error.html.j2",
        **_context(request, ui, lang, None),
        status=status,
        heading=words(heading),
        error=error,
        csrf_refused=error.get("code") == "csrf_rejected",
    )
    return HTMLResponse(body, status_code=status, headers={**SECURITY_HEADERS, "Content-Language": lang})
