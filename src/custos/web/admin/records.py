"""The Art. 30 records in the admin UI: the controller's and the processor's record, a printable page for the
authority, and downloads. `records.read`; each view is an audited export (see `custos.records.service`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from custos.access.principal import Principal
from custos.records import service
from custos.records.render import body_html, to_html
from custos.web.admin.pages import ViewerDep, render_page
from custos.web.auth import Require, WorkDep

router = APIRouter(prefix="/admin/records", include_in_schema=False)

Reader = Annotated[Principal, Require("records.read")]
Kind = Literal["controller", "processor"]

# The printable page carries its own print styles inline, so it is standalone when saved; nothing else may run.
_PRINT_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}


@router.get("", response_class=HTMLResponse)
def records_page(
    request: Request,
    principal: Reader,
    viewer: ViewerDep,
    work: WorkDep,
    kind: Annotated[Kind, Query()] = "controller",
) -> HTMLResponse:
    record = service.view(work, kind, "page", show_contacts=viewer.can("register.read"))
    return render_page(request, "records.html.j2", viewer=viewer, kind=kind, body=Markup(body_html(record)))


@router.get("/print", response_class=HTMLResponse)
def printable(
    principal: Reader,
    viewer: ViewerDep,
    work: WorkDep,
    kind: Annotated[Kind, Query()] = "controller",
) -> HTMLResponse:
    record = service.view(work, kind, "html", show_contacts=viewer.can("register.read"))
    return HTMLResponse(to_html(record), headers=_PRINT_HEADERS)
