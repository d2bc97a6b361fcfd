"""The Art. 30 records over HTTP: `records.read`; the processor record names customers' contacts only for a
caller who also holds `register.read`. Every export is audited."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from custos.access.permissions import CUSTOS_SCOPE
from custos.access.principal import Principal, holds
from custos.records import service
from custos.web.auth import Require, WorkDep

Reader = Annotated[Principal, Require("records.read")]

router = APIRouter(prefix="/api/v1/records", tags=["records"])

_MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8"}


@router.get("/{kind}")
def export(
    kind: Literal["controller", "processor"],
    work: WorkDep,
    principal: Reader,
    fmt: Annotated[Literal["json", "csv", "html"], Query(alias="format")] = "json",
) -> Response:
    """The controller's (Art. 30(1)) or the processor's (Art. 30(2)) record, in JSON, CSV or printable HTML."""
    show = holds(principal.grants, "register.read", CUSTOS_SCOPE, work.policy)
    text = service.export(work, kind, fmt, show_contacts=show)
    headers = {"Content-Disposition": f'attachment; filename="art30-{kind}.{fmt}"'} if fmt != "html" else {}
    return Response(text, media_type=_MEDIA[fmt], headers=headers)
