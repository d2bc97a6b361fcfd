"""The promises page: every invariant checked on live data, as `custos doctor` does, with the fix per finding.

`doctor.read`; each look is audited (findings name people by ref). A person's ref links to their page for
whoever may read the register; an incident or request to its own page.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from custos.access.principal import Principal
from custos.invariants import InvariantContext, run_doctor
from custos.invariants.catalogue import wording
from custos.web.admin.pages import Viewer, ViewerDep, language, render_page
from custos.web.auth import Require, WorkDep
from custos.web.deps import RuntimeDep

router = APIRouter(prefix="/admin/doctor", include_in_schema=False)

Reader = Annotated[Principal, Require("doctor.read")]

# Where a finding's record lives in the admin UI, by the kind its subject names, and who may open it there.
_LINKS = {
    "person": ("/admin/people/{id}", "register.read"),
    "request": ("/admin/requests/{id}", "requests.manage"),
    "incident": ("/admin/incidents/{id}", "incidents.read"),
    "system": ("/admin/systems/{id}", "systems.read"),
    "task": ("/admin/systems/waiting", "systems.read"),
    "grant": ("/admin/staff", "staff.manage"),
}
_SUBJECT = re.compile(r"(?P<kind>[a-z_]+) (?P<id>[A-Za-z0-9_.:-]+)")


def link_for(subject: str, viewer: Viewer) -> str | None:
    match = _SUBJECT.fullmatch(subject)
    if match is None or match["kind"] not in _LINKS:
        return None
    href, permission = _LINKS[match["kind"]]
    return href.format(id=match["id"]) if viewer.can(permission) else None


@router.get("", response_class=HTMLResponse)
def doctor_page(
    request: Request, principal: Reader, viewer: ViewerDep, runtime: RuntimeDep, work: WorkDep
) -> HTMLResponse:
    ctx = InvariantContext.of(runtime)
    result = run_doctor(work, ctx)
    return render_page(
        request,
        "doctor.html.j2",
        viewer=viewer,
        result=result,
        on=ctx.on,
        iw=wording(language(request, runtime.settings.language)),
        link_for=lambda s: link_for(s, viewer),
    )
