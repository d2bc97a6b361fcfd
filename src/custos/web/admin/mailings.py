"""Selections and mailings in the admin UI: saved selections with who they include and why others are left out,
composing a mailing, sending it and following its progress.

`register.read` to look (counts only, no one's data); `mailings.send` to save, export and send. A send runs
after the response; the page shows its progress and can be reloaded (or the send restarted) at any time.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from custos.access.principal import Principal
from custos.errors import Conflict, InvalidInput, NotFound
from custos.mailings import selection as selections
from custos.mailings import sending
from custos.mailings.criteria import Criteria
from custos.runtime import Runtime
from custos.web.admin.forms import FormError, text
from custos.web.admin.pages import Viewer, ViewerDep, render_page
from custos.web.api.mailings import run_send
from custos.web.auth import FormFields, Require
from custos.web.deps import RuntimeDep

router = APIRouter(prefix="/admin", include_in_schema=False)

Reader = Annotated[Principal, Require("register.read")]
Sender = Annotated[Principal, Require("mailings.send")]


def _list_page(
    request: Request,
    runtime: Runtime,
    viewer: Viewer,
    error: FormError | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    with runtime.db.transaction() as session:
        rows = [
            (s, selections.count_saved(session, runtime.policy, runtime.clock, s.id))
            for s in selections.all_selections(session)[:50]
        ]
        for s, _ in rows:
            session.expunge(s)
    policy = runtime.policy
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
def selections_page(request: Request, principal: Reader, viewer: ViewerDep, runtime: RuntimeDep) -> HTMLResponse:
    return _list_page(request, runtime, viewer)


@router.post("/selections", response_class=HTMLResponse)
def create_selection(
    request: Request, principal: Sender, viewer: ViewerDep, runtime: RuntimeDep, form: FormFields
) -> Response:
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
        with runtime.db.transaction() as session:
            saved = selections.create(session, runtime.policy, runtime.clock, principal.actor, kept["name"], criteria)
            selection_id = saved.id
    except InvalidInput as exc:
        return _list_page(
            request, runtime, viewer, FormError.of(exc, {"subject_categories[0]": "subject_category"}), kept
        )
    except ValueError:
        return _list_page(request, runtime, viewer, FormError("the selection's criteria are not valid"), kept)
    return RedirectResponse(f"/admin/selections/{selection_id}", status_code=303)


def _selection_page(
    request: Request, runtime: Runtime, viewer: Viewer, selection_id: int, error: FormError | None = None
) -> HTMLResponse:
    with runtime.db.transaction() as session:
        selection = selections.get(session, selection_id)
        counts = selections.count_saved(session, runtime.policy, runtime.clock, selection_id)
        mailings = [(m, sending.progress(session, m.id)) for m in sending.for_selection(session, selection_id)]
        session.expunge_all()
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
    request: Request, selection_id: int, principal: Reader, viewer: ViewerDep, runtime: RuntimeDep
) -> HTMLResponse:
    return _selection_page(request, runtime, viewer, selection_id)


@router.post("/selections/{selection_id}/mailings", response_class=HTMLResponse)
def create_mailing(
    request: Request, selection_id: int, principal: Sender, viewer: ViewerDep, runtime: RuntimeDep, form: FormFields
) -> Response:
    language: Literal["en", "sv"] = "sv" if text(form, "language") == "sv" else "en"
    try:
        with runtime.db.transaction() as session:
            mailing = sending.create(
                session,
                runtime.policy,
                runtime.clock,
                principal.actor,
                selection_id,
                text(form, "subject"),
                form.get("body", "")[:20000],
                language,
            )
            mailing_id = mailing.id
    except (InvalidInput, NotFound) as exc:
        return _selection_page(request, runtime, viewer, selection_id, FormError.of(exc))
    return RedirectResponse(f"/admin/mailings/{mailing_id}", status_code=303)


@router.get("/mailings/{mailing_id}", response_class=HTMLResponse)
def mailing_page(
    request: Request, mailing_id: int, principal: Reader, viewer: ViewerDep, runtime: RuntimeDep
) -> HTMLResponse:
    with runtime.db.transaction() as session:
        mailing = sending.get(session, mailing_id)
        progress = sending.progress(session, mailing_id)
        session.expunge(mailing)
    return render_page(request, "mailing.html.j2", viewer=viewer, mailing=mailing, progress=progress)


@router.post("/mailings/{mailing_id}/send", response_class=HTMLResponse)
def send_mailing(
    request: Request,
    mailing_id: int,
    principal: Sender,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> Response:
    try:
        with runtime.db.transaction() as session:
            sending.start(session, runtime.policy, runtime.clock, principal.actor, mailing_id)
    except Conflict:
        return RedirectResponse(f"/admin/mailings/{mailing_id}", status_code=303)
    background.add_task(run_send, runtime, principal, mailing_id)
    return RedirectResponse(f"/admin/mailings/{mailing_id}", status_code=303)
