"""Selections and mailings in the admin UI: saved selections with who they include and why others are left out,
composing a mailing, sending it and following its progress.

`register.read` to look (counts only, no one's data); `mailings.send` to save, export and send. Sending starts
the mailing; the `mailings-send` job sends it (and finishes it after a restart); the page shows its progress
and can be reloaded at any time.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from custos.access.principal import Principal
from custos.errors import Conflict, InvalidInput, NotFound
from custos.jobs.registry import MAILINGS_SEND, wake_after_commit
from custos.mailings import selection as selections
from custos.mailings import sending
from custos.mailings.criteria import Criteria
from custos.web.admin.forms import FormError, text
from custos.web.admin.pages import Viewer, ViewerDep, render_page
from custos.web.auth import FormFields, Require, WorkDep
from custos.web.deps import RuntimeDep
from custos.work import Work

router = APIRouter(prefix="/admin", include_in_schema=False)

Reader = Annotated[Principal, Require("register.read")]
Sender = Annotated[Principal, Require("mailings.send")]


def _list_page(
    request: Request,
    work: Work,
    viewer: Viewer,
    error: FormError | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    rows = [(s, selections.count_saved(work, s.id)) for s in selections.all_selections(work.session)[:50]]
    policy = work.policy
    return render_page(
        request,
        "selections.html.j2",
        viewer=viewer,
        rows=rows,
        reasons=selections.REASONS,
        subjects=[(s.id, s.name) for s in policy.subject_categories],
        activities=[(a.id, a.name) for a in policy.activities if "mailings" in a.uses or "selections" in a.uses],
        error=error,
        form=form or {},
        status=error.status if error else 200,
    )


@router.get("/selections", response_class=HTMLResponse)
def selections_page(request: Request, principal: Reader, viewer: ViewerDep, work: WorkDep) -> HTMLResponse:
    return _list_page(request, work, viewer)


@router.post("/selections", response_class=HTMLResponse)
def create_selection(
    request: Request, principal: Sender, viewer: ViewerDep, runtime: RuntimeDep, form: FormFields
) -> Response:
    # Its own unit: a refused selection rolls back alone, and the page shown again reads in a fresh one.
    kept = {k: text(form, k) for k in ("name", "subject_category", "organisation_role", "activity", "use")}
    try:
        criteria = Criteria.model_validate(
            {
                "subject_categories": [kept["subject_category"]] if kept["subject_category"] else [],
                "organisation_roles": [kept["organisation_role"]] if kept["organisation_role"] else [],
                "activities": [kept["activity"]] if kept["activity"] else [],
                "use": kept["use"] or "mailings",
            }
        )
        with runtime.work(principal.actor) as work:
            selection_id = selections.create(work, kept["name"], criteria).id
    except InvalidInput as exc:
        with runtime.work(principal.actor) as work:
            return _list_page(
                request, work, viewer, FormError.of(exc, {"subject_categories[0]": "subject_category"}), kept
            )
    except ValueError:
        with runtime.work(principal.actor) as work:
            return _list_page(request, work, viewer, FormError("the selection's criteria are not valid"), kept)
    return RedirectResponse(f"/admin/selections/{selection_id}", status_code=303)


def _selection_page(
    request: Request, work: Work, viewer: Viewer, selection_id: int, error: FormError | None = None
) -> HTMLResponse:
    session = work.session
    selection = selections.get(session, selection_id)
    counts = selections.count_saved(work, selection_id)
    mailings = [(m, sending.progress(session, m.id)) for m in sending.for_selection(session, selection_id)]
    return render_page(
        request,
        "selection.html.j2",
        viewer=viewer,
        selection=selection,
        criteria=selections.criteria_of(selection),
        counts=counts,
        mailings=mailings,
        error=error,
        status=error.status if error else 200,
    )


@router.get("/selections/{selection_id}", response_class=HTMLResponse)
def selection_page(
    request: Request, selection_id: int, principal: Reader, viewer: ViewerDep, work: WorkDep
) -> HTMLResponse:
    return _selection_page(request, work, viewer, selection_id)


@router.post("/selections/{selection_id}/mailings", response_class=HTMLResponse)
def create_mailing(
    request: Request, selection_id: int, principal: Sender, viewer: ViewerDep, runtime: RuntimeDep, form: FormFields
) -> Response:
    language: Literal["en", "sv"] = "sv" if text(form, "language") == "sv" else "en"
    try:
        with runtime.work(principal.actor) as work:
            mailing_id = sending.create(
                work, selection_id, text(form, "subject"), form.get("body", "")[:20000], language
            ).id
    except (InvalidInput, NotFound) as exc:
        with runtime.work(principal.actor) as work:
            return _selection_page(request, work, viewer, selection_id, FormError.of(exc))
    return RedirectResponse(f"/admin/mailings/{mailing_id}", status_code=303)


@router.get("/mailings/{mailing_id}", response_class=HTMLResponse)
def mailing_page(
    request: Request, mailing_id: int, principal: Reader, viewer: ViewerDep, work: WorkDep
) -> HTMLResponse:
    mailing = sending.get(work.session, mailing_id)
    progress = sending.progress(work.session, mailing_id)
    return render_page(request, "mailing.html.j2", viewer=viewer, mailing=mailing, progress=progress)


@router.post("/mailings/{mailing_id}/send", response_class=HTMLResponse)
def send_mailing(mailing_id: int, principal: Sender, work: WorkDep, runtime: RuntimeDep) -> Response:
    """Start the mailing; the `mailings-send` job sends it, woken once the start has committed."""
    try:
        sending.start(work, mailing_id)
    except Conflict:
        return RedirectResponse(f"/admin/mailings/{mailing_id}", status_code=303)
    wake_after_commit(work, runtime, MAILINGS_SEND)
    return RedirectResponse(f"/admin/mailings/{mailing_id}", status_code=303)
