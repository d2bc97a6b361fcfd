"""One person's page in the register, and the forms that change what we hold of them. `register.read` to see.

Showing a person writes `person.read` in the same transaction as the read, committed before the page is sent
(Art. 5(2), 32); the person's name is kept out of the page title, which browsers keep in their history.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from custos import audit
from custos.access.principal import Principal
from custos.register import people
from custos.web.admin.pages import ViewerDep, render_page
from custos.web.auth import Require
from custos.web.deps import RuntimeDep

router = APIRouter(prefix="/admin/people", include_in_schema=False)

Reader = Annotated[Principal, Require("register.read")]


@router.get("/{ref}", response_class=HTMLResponse)
def person_page(
    request: Request,
    principal: Reader,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    ref: Annotated[str, Path(max_length=36)],
) -> HTMLResponse:
    with runtime.db.transaction() as session:
        person = people.get_person(session, runtime.register, ref)
        audit.record(session, runtime.clock, principal.actor, "person.read", subject=person.ref)
    return render_page(request, "person.html.j2", viewer=viewer, person=person)
