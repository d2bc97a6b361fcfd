"""The People list: filters, a search by name, email, phone or organisation, pages, and a CSV export.

`register.read` to look; `register.export` for the CSV. Every page of the list is a read of each person on it,
so `casework.listing.read_people` writes `person.list` events naming them by ref in the request's unit; an
export (`listing.export_people`) writes `register.export` with how many people it held, before anything is sent.

Nothing of a person goes in a URL. The filters that say nothing of anyone (category, organisation, source, due
date, held) may be a plain GET, so another page can link to "the people of this organisation". What is typed in
the search box may be a name, an email or a phone number, so the search is always POSTed: it stays out of
access logs, proxies and browser history. The next page is asked for the same way, by a small form that POSTs
the search again with the cursor (re-POSTing is stateless: no search text is kept on the server, and the page,
sent with `Cache-Control: no-store`, is the only place it is repeated). The exact email/phone look-up of old
(`kind` and `value` POSTed) still opens the person's page at once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import exists, select

from custos.access.principal import Principal
from custos.casework import listing
from custos.casework.dossier import look_up_dossier
from custos.casework.listing import PeopleFilter
from custos.clock import today
from custos.errors import InvalidInput, NotFound, Problem
from custos.register.models import Person
from custos.web.admin.forms import FormError, text
from custos.web.admin.pages import Viewer, ViewerDep, render_page
from custos.web.auth import FormFields, Require, WorkDep
from custos.work import Work

router = APIRouter(prefix="/admin/people", include_in_schema=False)

Reader = Annotated[Principal, Require("register.read")]
Exporter = Annotated[Principal, Require("register.export")]
Kind = Literal["email", "phone"]
MAX_EXPORT = 100_000  # a bigger list is narrowed first: a CSV of the whole register is a backup, not an export
CSV_COLUMNS = ("ref", "name", "categories", "organisations", "due_on", "due_action", "due_rule", "held")
Field = Annotated[str, Query(max_length=300)]


def _filter(values: Mapping[str, str], *, search: str = "") -> PeopleFilter:
    """The filter a form or query asks for; raises InvalidInput naming each field that cannot be understood."""
    problems: list[Problem] = []
    due_raw = values.get("due", "").strip()
    due = next((d for d in listing.DUES if d == due_raw), None)
    if due is None:
        problems.append(Problem("due", f"{due_raw!r} is not a choice here"))
        due = ""
    before: date | None = None
    day = values.get("due_before", "").strip()
    if day:
        try:
            before = date.fromisoformat(day) if len(day) == 10 else None
        except ValueError:
            before = None
        if before is None:
            problems.append(Problem("due_before", f"{day!r} is not a date", hint="YYYY-MM-DD"))
    if problems:
        raise InvalidInput("the filter is not valid", problems)
    return PeopleFilter(
        category=values.get("category", "").strip()[:80],
        organisation=values.get("organisation", "").strip()[:300],
        source=values.get("source", "").strip()[:300],
        due=due,
        due_before=before if due == "before" else None,
        held=values.get("held", "") in ("1", "on", "true"),
        search=search,
    )


def _form_of(where: PeopleFilter) -> dict[str, str]:
    """The fields that ask for `where` again (the filter form and the page buttons)."""
    return {
        "q": where.search,
        "category": where.category,
        "organisation": where.organisation,
        "source": where.source,
        "due": where.due,
        "due_before": where.due_before.isoformat() if where.due_before else "",
        "held": "1" if where.held else "",
    }


def _list_page(
    request: Request,
    work: Work,
    viewer: Viewer,
    where: PeopleFilter | None,
    *,
    after: int | None = None,
    error: FormError | None = None,
    kept: dict[str, str] | None = None,
) -> HTMLResponse:
    page = None
    empty = not work.session.scalar(select(exists().where(Person.id.is_not(None))))
    sources = listing.sources(work) if not empty else []
    if where is not None and error is None and not empty:
        try:
            page = listing.read_people(work, where, via="admin", after=after)
        except InvalidInput as exc:
            error = FormError.of(exc, {"search": "q"})
    policy = work.policy
    return render_page(
        request,
        "people.html.j2",
        viewer=viewer,
        status=error.status if error else 200,
        error=error,
        page=page,
        empty=empty,
        form=kept if kept is not None else _form_of(where or PeopleFilter()),
        filtered=bool(where and where.used()),
        categories=[(c.id, c.name) for c in policy.subject_categories],
        sources=sources,
        dues=listing.DUES,
        titles={c.id: c.name for c in policy.subject_categories},
    )


@router.get("", response_class=HTMLResponse)
def people_page(
    request: Request,
    principal: Reader,
    viewer: ViewerDep,
    work: WorkDep,
    category: Field = "",
    organisation: Field = "",
    source: Field = "",
    due: Annotated[str, Query(max_length=10)] = "",
    due_before: Annotated[str, Query(max_length=10)] = "",
    held: Annotated[str, Query(max_length=5)] = "",
) -> HTMLResponse:
    asked = {
        "category": category,
        "organisation": organisation,
        "source": source,
        "due": due,
        "due_before": due_before,
        "held": held,
    }
    try:
        where = _filter(asked)
    except InvalidInput as exc:
        return _list_page(request, work, viewer, None, error=FormError.of(exc), kept=asked)
    return _list_page(request, work, viewer, where)


@router.post("", response_class=HTMLResponse)
def search(request: Request, principal: Reader, viewer: ViewerDep, work: WorkDep, form: FormFields) -> HTMLResponse:
    if "value" in form and "q" not in form:
        return _exact(request, work, viewer, form)
    kept = {k: text(form, k) for k in ("q", "category", "organisation", "source", "due", "due_before", "held")}
    after_raw = text(form, "after", limit=20)
    after = int(after_raw) if after_raw.isdigit() else None
    try:
        where = _filter(kept, search=text(form, "q", limit=320))
    except InvalidInput as exc:
        return _list_page(request, work, viewer, None, error=FormError.of(exc), kept=kept)
    return _list_page(request, work, viewer, where, after=after, kept=kept)


def _exact(request: Request, work: Work, viewer: Viewer, form: dict[str, str]) -> HTMLResponse:
    """An exact email or phone, POSTed as `kind` and `value`: straight to the person's page, audited as a read
    that came through that identity."""
    kind: Kind = "phone" if form.get("kind") == "phone" else "email"
    value = text(form, "value", limit=320)
    try:
        found = look_up_dossier(work, kind, value, with_events=viewer.can("audit.read"))
    except (NotFound, InvalidInput) as exc:
        error = FormError.of(exc, {"email": "q", "phone": "q"})
        return _list_page(request, work, viewer, None, error=error, kept={"q": value})
    # The person's page as web/admin/person.py shows it.
    return render_page(
        request, "person.html.j2", viewer=viewer, d=found, person=found.person, done=None, error=None, form={}
    )


@router.post("/export")
def export(request: Request, principal: Exporter, work: WorkDep, form: FormFields) -> Response:
    """The filtered list as CSV; the export is audited with its size, in the unit that reads it."""
    kept = {k: text(form, k) for k in ("category", "organisation", "source", "due", "due_before", "held")}
    where = _filter(kept, search=text(form, "q", limit=320))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    titles = {c.id: c.name for c in work.policy.subject_categories}
    for row in listing.export_people(work, where, limit=MAX_EXPORT):
        due = row.due
        writer.writerow(
            _cells(
                row.ref,
                row.name,
                "; ".join(row.categories),
                "; ".join(row.organisations),
                due.on.isoformat() if due.on else "",
                due.action,
                f"{titles.get(due.category, due.category)}: {due.rule}" if due.category else due.rule,
                "yes" if due.held else "",
            )
        )
    name = f"people-{today(work.clock).isoformat()}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


def _cells(*values: str) -> list[str]:
    """A spreadsheet runs a cell that starts with = + - @ as a formula (CSV injection): such a cell is quoted
    with a leading apostrophe, which the spreadsheet shows as text."""
    return [f"'{v}" if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v for v in values]
