"""The access review page: every live grant, unused for how long, expiring soon, and what needs a look.

Art. 5(2), 24(1), 32(1)(d): least privilege is kept by looking at it regularly. `staff.manage`. The filter
("only grants that need a look") is a plain GET form that htmx, when present, turns into a table swap.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from custos.access.principal import Principal
from custos.access.review import EXPIRING_WITHIN, UNUSED_AFTER, access_review
from custos.web.admin.pages import ViewerDep, is_fragment_request, render_page
from custos.web.admin.staff import role_info
from custos.web.auth import Require, WorkDep

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("/access-review", response_class=HTMLResponse)
def review(
    request: Request,
    principal: Annotated[Principal, Require("staff.manage")],
    viewer: ViewerDep,
    work: WorkDep,
    needs_look: bool = False,
) -> HTMLResponse:
    rows = access_review(work)
    roles = role_info(work)
    flagged = sum(1 for row in rows if row.findings)
    shown = [row for row in rows if row.findings] if needs_look else rows
    template = "_review_rows.html.j2" if is_fragment_request(request, "review-results") else "access_review.html.j2"
    return render_page(
        request,
        template,
        viewer=viewer,
        rows=shown,
        role_info=roles,
        total=len(rows),
        flagged=flagged,
        needs_look=needs_look,
        unused_days=UNUSED_AFTER.days,
        expiring_days=EXPIRING_WITHIN.days,
    )
