"""Importing people from a CSV file in the browser: the check before anything is written, then the import.

`register.import` for every step. Upload (multipart, CSRF checked by `web.auth`): the file is checked at once
and kept encrypted (`register.uploads`); its page shows the counts and every bad row with its line and reason,
the bad rows as a CSV to download, and the confirmation (all-or-nothing, or only the good rows, with the number
of rows that will be written). The import itself runs as the `imports-drive` job: started in this process
right after the confirmation and woken for the workers, so a restart loses nothing; the page shows its progress
(htmx polls a fragment; without JavaScript a link reloads the page). Each step is audited in its transaction.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from custos.access.principal import Principal
from custos.errors import Conflict, InvalidInput
from custos.jobs.registry import scheduler_for
from custos.register import uploads
from custos.web.admin.forms import FormError, text
from custos.web.admin.pages import Viewer, ViewerDep, is_fragment_request, render_page
from custos.web.auth import FormFields, Require, WorkDep
from custos.web.deps import RuntimeDep
from custos.work import Work

router = APIRouter(prefix="/admin/imports", include_in_schema=False)

Importer = Annotated[Principal, Require("register.import")]

PAGE_SIZE = 50
_DONE = {"queued"}


def _upload_form(
    request: Request,
    work: Work,
    viewer: Viewer,
    *,
    error: FormError | None = None,
    kind: str = "contacts",
) -> HTMLResponse:
    recent = [
        (u.ref, u.kind, u.state, u.rows, u.bad, u.created_at) for u in uploads.recent_uploads(work, viewer.staff_id)
    ]
    return render_page(
        request,
        "imports.html.j2",
        viewer=viewer,
        status=error.status if error else 200,
        error=error,
        kind=kind,
        kinds=uploads.KINDS,
        columns={k: uploads.columns(k) for k in uploads.KINDS},
        max_mb=uploads.MAX_BYTES // (1024 * 1024),
        recent=recent,
    )


@router.get("", response_class=HTMLResponse)
def imports_page(request: Request, principal: Importer, viewer: ViewerDep, work: WorkDep) -> HTMLResponse:
    return _upload_form(request, work, viewer)


@router.post("", response_class=HTMLResponse)
async def upload(
    request: Request, principal: Importer, viewer: ViewerDep, runtime: RuntimeDep, form: FormFields
) -> Response:
    """Check the uploaded file; nothing is written to the register. The form was parsed (and its CSRF token
    checked) by `web.auth`, within its declared size, which left the file's name and bytes on the request.
    The check runs off the event loop, in a unit of its own opened in that thread (a session stays in the
    thread that made it)."""
    kind = text(form, "kind", limit=20)
    name, data = getattr(request.state, "upload", ("", b""))

    def check() -> str:
        with runtime.work(principal.actor) as work:
            return uploads.check_upload(work, principal.staff_id, kind, name, data)

    def refused(error: FormError) -> HTMLResponse:
        with runtime.work(principal.actor) as work:
            return _upload_form(request, work, viewer, error=error, kind=kind or "contacts")

    try:
        ref = await run_in_threadpool(check)
    except InvalidInput as exc:
        error = FormError.of(exc)
        lines = [f"{p.message} (line {p.line})" if p.line else p.message for p in exc.problems if p.location == "file"]
        if lines:
            error = FormError(error.message, {**error.fields, "file": "; ".join(lines)}, error.status)
        # The page's own look-ups run off the event loop too, as the check did.
        return await run_in_threadpool(refused, error)
    return RedirectResponse(f"/admin/imports/{ref}", status_code=303)


def _upload_page(
    request: Request,
    work: Work,
    viewer: Viewer,
    ref: str,
    *,
    offset: int = 0,
    error: FormError | None = None,
    done: str | None = None,
) -> HTMLResponse:
    view = uploads.view_upload(work, ref, viewer.staff_id, offset=offset, limit=PAGE_SIZE)
    fragment = is_fragment_request(request, "import-progress")
    template = "imports_progress.html.j2" if fragment else "imports_upload.html.j2"
    return render_page(
        request,
        template,
        viewer=viewer,
        status=error.status if error else 200,
        u=view,
        offset=offset,
        page_size=PAGE_SIZE,
        error=error,
        done=done if done in _DONE else None,
    )


@router.get("/{ref}", response_class=HTMLResponse)
def upload_page(
    request: Request,
    ref: str,
    principal: Importer,
    viewer: ViewerDep,
    work: WorkDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    done: str | None = None,
) -> HTMLResponse:
    """The check's result (counts, bad rows page by page, the confirmation), or the import's progress or end."""
    return _upload_page(request, work, viewer, ref, offset=offset, done=done)


@router.get("/{ref}/progress", response_class=HTMLResponse)
def progress_fragment(
    request: Request, ref: str, principal: Importer, viewer: ViewerDep, work: WorkDep
) -> HTMLResponse:
    """The progress panel alone, for htmx to poll while the import runs."""
    view = uploads.view_upload(work, ref, principal.staff_id, limit=0)
    return render_page(request, "imports_progress.html.j2", viewer=viewer, u=view)


@router.get("/{ref}/rejects.csv")
def rejects(ref: str, principal: Importer, work: WorkDep) -> Response:
    """The bad rows with their line and reason, cells neutralised against formulas; audited."""
    body = uploads.rejects_csv(work, ref, principal.staff_id)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="rejects.csv"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/{ref}/confirm", response_class=HTMLResponse)
def confirm(
    request: Request,
    ref: str,
    background: BackgroundTasks,
    principal: Importer,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    work: WorkDep,
    form: FormFields,
) -> Response:
    """Queue the import as confirmed; it runs once this response is sent (and any worker would take it up):
    the request's unit, with the queued state, has committed by then."""
    try:
        uploads.queue_upload(work, ref, principal.staff_id, text(form, "mode", limit=10), text(form, "rows", limit=12))
    except (InvalidInput, Conflict) as exc:
        return _upload_page(request, work, viewer, ref, error=FormError.of(exc))

    def wake() -> None:
        scheduler_for(runtime).wake(uploads.JOB_NAME)

    # The queued state must be committed before the job looks for it: wake it once the unit has committed.
    work.after_commit(wake)
    background.add_task(uploads.drive_upload, runtime, ref)
    return RedirectResponse(f"/admin/imports/{ref}?done=queued", status_code=303)
