"""People in the register: finding one by exact email or phone, and one person's page. `register.read`.

Every page that shows a person writes `person.read` (who, from which address, which ref) in the same
transaction, committed before the page is sent, so no one sees a person's data without a trace (Art. 5(2),
32). The email or phone searched for is POSTed, never put in a URL, so it stays out of access logs and
browser history, and the person's name is not in the page title, which browsers keep in their history.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from custos import audit
from custos.access.principal import Principal
from custos.errors import InvalidInput, NotFound
from custos.register import people
from custos.web.admin.forms import FormError, text
from custos.web.admin.pages import ViewerDep, render_page
from custos.web.auth import FormFields, Require
from custos.web.deps import RuntimeDep

router = APIRouter(prefix="/admin/people", include_in_schema=False)

Reader = Annotated[Principal, Require("register.read")]
Kind = Literal["email", "phone"]


@router.get("", response_class=HTMLResponse)
def search_page(request: Request, principal: Reader, viewer: ViewerDep) -> HTMLResponse:
    return render_page(request, "people_search.html.j2", viewer=viewer, kind="email", value="", error=None)


@router.post("", response_class=HTMLResponse)
def search(
    request: Request, principal: Reader, viewer: ViewerDep, runtime: RuntimeDep, form: FormFields
) -> HTMLResponse:
    kind: Kind = "phone" if form.get("kind") == "phone" else "email"
    value = text(form, "value", limit=320)
    try:
        with runtime.db.transaction() as session:
            person = people.find_person(session, runtime.register, kind, value)
            audit.record(
                session, runtime.clock, principal.actor, "person.read", subject=person.ref, details={"via": kind}
            )
    except (NotFound, InvalidInput) as exc:
        error = FormError.of(exc, {"email": "value", "phone": "value"})
        return render_page(
            request, "people_search.html.j2", viewer=viewer, status=error.status, kind=kind, value=value, error=error
        )
    return render_page(request, "person.html.j2", viewer=viewer, person=person)
