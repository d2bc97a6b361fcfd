"""The caller's own account: the first login's steps (own password, then the authenticator) and recovery codes.

A session that logged in with the one-time password may do only this (Art. 32(1)); `custos.web.errors` sends
such a session here from any other admin page. The authenticator is shown as a QR code of its otpauth URI
(an inline SVG drawn with presentation attributes only, so the CSP's ban on inline styles holds), and as the
secret and the URI in text, which every authenticator app accepts typed in or pasted. Recovery codes are shown
once; the page copies, downloads (a file the browser makes from the page) and prints them, so they are never
kept in clear anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from custos.access import account
from custos.access.principal import Principal
from custos.access.totp import provisioning_uri
from custos.errors import Conflict, InvalidInput, PermissionDenied, Problem
from custos.web.admin.forms import FormError, text
from custos.web.admin.pages import Viewer, ViewerDep, render_page
from custos.web.auth import CurrentPrincipal, FormFields, WorkDep
from custos.work import Work

router = APIRouter(prefix="/admin/account", include_in_schema=False)


@dataclass(frozen=True)
class _Authenticator:
    enrolled: bool
    pending_secret: str | None
    pending_uri: str | None


def _own(principal: Principal) -> Principal:
    if principal.via != "session":
        raise PermissionDenied("Only a logged-in staff member can change their own credentials.")
    return principal


def _password_page(request: Request, viewer: Viewer, error: FormError | None = None) -> HTMLResponse:
    return render_page(request, "password.html.j2", viewer=viewer, error=error, status=error.status if error else 200)


@router.get("/password", response_class=HTMLResponse)
def password_page(request: Request, principal: CurrentPrincipal, viewer: ViewerDep) -> HTMLResponse:
    _own(principal)
    return _password_page(request, viewer)


@router.post("/password", response_class=HTMLResponse)
def change_password(
    request: Request, principal: CurrentPrincipal, viewer: ViewerDep, work: WorkDep, form: FormFields
) -> Response:
    _own(principal)
    current, new = form.get("current_password", "")[:1024], form.get("new_password", "")[:1024]
    if new != form.get("new_password_again", ""):
        problem = Problem("new_password_again", "does not match the new password")
        return _password_page(request, viewer, FormError.of(InvalidInput("the password was not changed", [problem])))
    try:
        account.change_password(work, principal, current=current, new=new)
    except InvalidInput as exc:
        return _password_page(request, viewer, FormError.of(exc))
    enrolled = account.own_account(work, principal).totp_enabled_at is not None
    return RedirectResponse("/admin?done=password" if enrolled else "/admin/account/totp", status_code=303)


def _authenticator(work: Work, principal: Principal) -> _Authenticator:
    staff = account.own_account(work, principal)
    pending = staff.totp_pending_secret
    uri = provisioning_uri(pending, staff.email) if pending else None
    return _Authenticator(staff.totp_enabled_at is not None, pending, uri)


def qr_svg(uri: str, labelled_by: str) -> Markup:
    """The otpauth URI as an inline SVG QR code, black on white whatever the page's colours (phones read dark
    modules on a light ground); its text alternative is the element `labelled_by` on the page."""
    code = segno.make(uri, error="m")
    svg = code.svg_inline(scale=5, border=4, dark="#000", light="#fff", svgclass="qr", lineclass=None)
    # The SVG is segno's own output from our URI (no markup from outside), so marking it safe is sound.
    labelled = f'<svg role="img" focusable="false" aria-labelledby="{labelled_by}" '
    return Markup(svg.replace("<svg ", labelled, 1))


def _totp_page(
    request: Request, work: Work, principal: Principal, viewer: Viewer, error: FormError | None = None
) -> HTMLResponse:
    found = _authenticator(work, principal)
    secret = found.pending_secret
    return render_page(
        request,
        "totp.html.j2",
        viewer=viewer,
        status=error.status if error else 200,
        error=error,
        enrolled=found.enrolled,
        # Groups of four are easier to type into a phone; authenticator apps ignore the spaces.
        secret_groups=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) if secret else None,
        uri=found.pending_uri,
        qr=qr_svg(found.pending_uri, "totp-qr-caption") if found.pending_uri else None,
        proved=principal.second_factor,
    )


@router.get("/totp", response_class=HTMLResponse)
def totp_page(request: Request, principal: CurrentPrincipal, viewer: ViewerDep, work: WorkDep) -> Response:
    _own(principal)
    if principal.must_change_password:  # the one-time password goes first: someone else may have seen it
        return RedirectResponse("/admin/account/password", status_code=303)
    return _totp_page(request, work, principal, viewer)


@router.post("/totp/start")
def start_totp(principal: CurrentPrincipal, work: WorkDep) -> Response:
    account.start_totp_enrolment(work, _own(principal))
    # Post/redirect/get: a reload shows the same secret instead of making a new one.
    return RedirectResponse("/admin/account/totp", status_code=303)


@router.post("/totp/confirm", response_class=HTMLResponse)
def confirm_totp(
    request: Request, principal: CurrentPrincipal, viewer: ViewerDep, work: WorkDep, form: FormFields
) -> Response:
    _own(principal)
    try:
        codes = account.confirm_totp(work, principal, text(form, "code", limit=40))
    except (InvalidInput, Conflict) as exc:
        return _totp_page(request, work, principal, viewer, FormError.of(exc))
    return render_page(request, "recovery_codes.html.j2", viewer=viewer, codes=codes)


@router.post("/recovery-codes", response_class=HTMLResponse)
def renew_recovery_codes(
    request: Request, principal: CurrentPrincipal, viewer: ViewerDep, work: WorkDep
) -> HTMLResponse:
    codes = account.renew_recovery_codes(work, _own(principal))
    return render_page(request, "recovery_codes.html.j2", viewer=viewer, codes=codes)
