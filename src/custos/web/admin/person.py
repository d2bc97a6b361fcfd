"""One person's page in the register, and the forms that change what we hold of them.

`register.read` to see; `register.write` to add a person, correct them, add or end a relationship and erase
them now; `retention.run` to place or release a legal hold. Every change goes through the register's services
(`custos.casework.corrections`, `custos.casework.erase_now`, `custos.retention.holds`), which audit it in the
same unit; what cannot be undone (ending a relationship, erasing) is shown first and confirmed.

Showing a person writes `person.read` in the unit of the read (`casework.dossier.read_dossier`), committed
before the page is sent (Art. 5(2), 32). Correcting and erasing reach the connected systems, so they run as
runtime-tier services with units of their own; their pages, shown again after a refusal, open a unit of their
own after the service has finished. The person's name is
kept out of the page title, which browsers keep in their history, and out of every URL (only the opaque ref).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select

from custos.access.principal import Principal
from custos.casework import corrections, erase_now
from custos.casework import holds as placing
from custos.casework.dossier import hold_person_ref, read_dossier
from custos.errors import Conflict, CustosError, InvalidInput, NotFound, Problem, SystemFailed
from custos.register.models import Organisation
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.retention import holds
from custos.retention.schemas import HoldCreate
from custos.web.admin.forms import FormError, text
from custos.web.admin.pages import Viewer, ViewerDep, render_page
from custos.web.auth import FormFields, Require, WorkDep
from custos.web.deps import RuntimeDep
from custos.work import Work

router = APIRouter(prefix="/admin/people", include_in_schema=False)

Reader = Annotated[Principal, Require("register.read")]
Writer = Annotated[Principal, Require("register.write")]
Holder = Annotated[Principal, Require("retention.run")]
Ref = Annotated[str, Path(max_length=36)]

# Above this many organisations a select list stops being usable; the form then asks for the id instead.
ORGANISATION_CHOICES = 500
_DONE = frozenset({"created", "corrected", "relationship_added", "relationship_ended", "hold_added", "hold_released"})
_RELATIONSHIP_FIELDS = (
    "subject_category",
    "activity",
    "organisation_id",
    "started_on",
    "last_interaction_on",
    "source",
)
_PERSON_FIELDS = ("name", "title", "email", "phone")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


# -- reading ------------------------------------------------------------------------------------------------


def show_person(
    request: Request,
    work: Work,
    viewer: Viewer,
    ref: str,
    *,
    via: str | None = None,
    done: str | None = None,
    error: FormError | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    """The person's page, audited as one `person.read` (`casework.dossier.read_dossier`)."""
    found = read_dossier(work, ref, with_events=viewer.can("audit.read"), via=via)
    return render_page(
        request,
        "person.html.j2",
        viewer=viewer,
        status=error.status if error else 200,
        d=found,
        person=found.person,
        done=done if done in _DONE else None,
        error=error,
        form=form or {},
    )


@router.get("/new", response_class=HTMLResponse)
def new_person_form(request: Request, principal: Writer, viewer: ViewerDep, work: WorkDep) -> HTMLResponse:
    return _new_page(request, work, viewer, form={}, error=None)


@router.post("/new", response_class=HTMLResponse)
def new_person(request: Request, principal: Writer, viewer: ViewerDep, work: WorkDep, form: FormFields) -> Response:
    kept = {n: text(form, n, limit=500) for n in (*_PERSON_FIELDS, *_RELATIONSHIP_FIELDS)}
    try:
        relationship = _relationship(kept)
        try:
            data = PersonCreate(
                name=kept["name"],
                title=kept["title"] or None,
                emails=[kept["email"]] if kept["email"] else [],
                phones=[kept["phone"]] if kept["phone"] else [],
                relationships=[relationship],
            )
        except ValidationError as exc:
            raise _invalid("the person was not added", exc, whole="email") from None
        # Every check comes before the first write, so a refusal leaves nothing in the unit.
        person = corrections.create_person(work, data)
    except (InvalidInput, NotFound, Conflict) as exc:
        return _new_page(request, work, viewer, form=kept, error=_error(exc))
    return RedirectResponse(f"/admin/people/{person.ref}?done=created", status_code=303)


@router.get("/{ref}", response_class=HTMLResponse)
def person_page(
    request: Request, principal: Reader, viewer: ViewerDep, work: WorkDep, ref: Ref, done: str = ""
) -> HTMLResponse:
    return show_person(request, work, viewer, ref, done=done or None)


# -- correcting (Art. 16) -------------------------------------------------------------------------------------


@router.get("/{ref}/correct", response_class=HTMLResponse)
def correct_form(request: Request, principal: Writer, viewer: ViewerDep, work: WorkDep, ref: Ref) -> HTMLResponse:
    return _correct_page(request, work, viewer, ref, form=None, error=None)


@router.post("/{ref}/correct", response_class=HTMLResponse)
def correct(
    request: Request, principal: Writer, viewer: ViewerDep, runtime: RuntimeDep, ref: Ref, form: FormFields
) -> Response:
    kept = {n: text(form, n, limit=320) for n in (*_PERSON_FIELDS, "old_email", "old_phone")}
    try:
        corrections.correct_person(runtime, principal.actor, ref, kept)  # audited there (register.rectify)
    except (InvalidInput, Conflict, SystemFailed) as exc:
        with runtime.work(principal.actor) as work:
            return _correct_page(request, work, viewer, ref, form=kept, error=_error(exc))
    return RedirectResponse(f"/admin/people/{ref}?done=corrected", status_code=303)


def _correct_page(
    request: Request,
    work: Work,
    viewer: Viewer,
    ref: str,
    *,
    form: dict[str, str] | None,
    error: FormError | None,
) -> HTMLResponse:
    person = read_dossier(work, ref, with_events=False, via="correct").person
    values = form or {
        "name": person.name,
        "title": person.title or "",
        "email": person.emails[0] if person.emails else "",
        "old_email": person.emails[0] if person.emails else "",
        "phone": person.phones[0] if person.phones else "",
        "old_phone": person.phones[0] if person.phones else "",
    }
    return render_page(
        request,
        "person_correct.html.j2",
        viewer=viewer,
        status=error.status if error else 200,
        person=person,
        form=values,
        error=error,
        systems=[s.name for s in work.policy.systems],
        email_choices=[(e, e) for e in person.emails],
        phone_choices=[(n, n) for n in person.phones],
    )


# -- relationships -------------------------------------------------------------------------------------------


@router.get("/{ref}/relationships/new", response_class=HTMLResponse)
def relationship_form(request: Request, principal: Writer, viewer: ViewerDep, work: WorkDep, ref: Ref) -> HTMLResponse:
    return _relationship_page(request, work, viewer, ref, form={}, error=None)


@router.post("/{ref}/relationships", response_class=HTMLResponse)
def add_relationship(
    request: Request, principal: Writer, viewer: ViewerDep, work: WorkDep, ref: Ref, form: FormFields
) -> Response:
    kept = {n: text(form, n, limit=500) for n in _RELATIONSHIP_FIELDS}
    try:
        data = _relationship(kept)
        corrections.add_relationship(work, ref, data)  # checked before it is written; audited there
    except (InvalidInput, Conflict) as exc:
        return _relationship_page(request, work, viewer, ref, form=kept, error=_error(exc))
    return RedirectResponse(f"/admin/people/{ref}?done=relationship_added#relationships", status_code=303)


def _relationship_page(
    request: Request,
    work: Work,
    viewer: Viewer,
    ref: str,
    *,
    form: dict[str, str],
    error: FormError | None,
) -> HTMLResponse:
    found = read_dossier(work, ref, with_events=False, via="relate")
    choices = _choices(work)
    return render_page(
        request,
        "person_relationship.html.j2",
        viewer=viewer,
        status=error.status if error else 200,
        person=found.person,
        form=form,
        error=error,
        **choices,
    )


@router.get("/{ref}/relationships/{relationship_id}/end", response_class=HTMLResponse)
def end_form(
    request: Request, principal: Writer, viewer: ViewerDep, work: WorkDep, ref: Ref, relationship_id: int
) -> HTMLResponse:
    return _end_page(request, work, viewer, ref, relationship_id, form={}, error=None)


@router.post("/{ref}/relationships/{relationship_id}/end", response_class=HTMLResponse)
def end_relationship(
    request: Request,
    principal: Writer,
    viewer: ViewerDep,
    work: WorkDep,
    ref: Ref,
    relationship_id: int,
    form: FormFields,
) -> Response:
    """Two steps: the day asked for shows the due dates it makes (nothing written); confirming writes it."""
    kept = {"ended_on": text(form, "ended_on", limit=10), "confirm": text(form, "confirm", limit=10)}
    try:
        problems: list[Problem] = []
        ended_on = _day(kept["ended_on"], "ended_on", problems)
        if ended_on is None and not problems:
            problems.append(Problem("ended_on", "give the day the relationship ended"))
        if problems or ended_on is None:
            raise InvalidInput("the relationship was not ended", problems)
        if kept["confirm"] != "yes":
            preview = corrections.preview_end(work, ref, relationship_id, ended_on)
            return _end_page(request, work, viewer, ref, relationship_id, form=kept, preview=preview)
        corrections.end_relationship(work, ref, relationship_id, ended_on)  # checked before it is written; audited
    except InvalidInput as exc:
        return _end_page(request, work, viewer, ref, relationship_id, form=kept, error=_error(exc))
    return RedirectResponse(f"/admin/people/{ref}?done=relationship_ended#relationships", status_code=303)


def _end_page(
    request: Request,
    work: Work,
    viewer: Viewer,
    ref: str,
    relationship_id: int,
    *,
    form: dict[str, str],
    error: FormError | None = None,
    preview: corrections.EndPreview | None = None,
) -> HTMLResponse:
    found = read_dossier(work, ref, with_events=False, via="end")
    line = next((r for r in found.relationships if r.rel.id == relationship_id), None)
    if line is None:
        raise NotFound(f"person {ref} has no relationship {relationship_id}")
    return render_page(
        request,
        "person_end.html.j2",
        viewer=viewer,
        status=error.status if error else 200,
        person=found.person,
        d=found,
        line=line,
        form=form,
        error=error,
        preview=preview,
    )


# -- legal holds (Art. 17(3)(e)) ------------------------------------------------------------------------------


@router.post("/{ref}/holds", response_class=HTMLResponse)
def add_hold(
    request: Request, principal: Holder, viewer: ViewerDep, work: WorkDep, ref: Ref, form: FormFields
) -> Response:
    kept = {"reason": text(form, "reason", limit=500), "ends_on": text(form, "ends_on", limit=10)}
    try:
        problems: list[Problem] = []
        until = _day(kept["ends_on"], "ends_on", problems)
        if problems:
            raise InvalidInput("the legal hold was not placed", problems)
        try:
            data = HoldCreate(person_ref=ref, reason=kept["reason"], ends_on=until)
        except ValidationError as exc:
            raise _invalid("the legal hold was not placed", exc, whole="ends_on") from None
        placing.add_hold(work, data)  # checked before it is written; audited there
    except (InvalidInput, NotFound) as exc:
        return show_person(request, work, viewer, ref, error=_error(exc), form=kept)
    return RedirectResponse(f"/admin/people/{ref}?done=hold_added#holds", status_code=303)


@router.post("/{ref}/holds/{hold_id}/release", response_class=HTMLResponse)
def release_hold(
    request: Request, principal: Holder, viewer: ViewerDep, work: WorkDep, ref: Ref, hold_id: int
) -> Response:
    try:
        if hold_person_ref(work, hold_id) != ref:
            raise NotFound(f"no legal hold {hold_id} on this person")
        holds.release_hold(work, hold_id)  # checked before it is written; audited there
    except (NotFound, Conflict) as exc:
        return show_person(request, work, viewer, ref, error=_error(exc))
    return RedirectResponse(f"/admin/people/{ref}?done=hold_released#holds", status_code=303)


# -- erasing now (Art. 17(1)) ---------------------------------------------------------------------------------


@router.get("/{ref}/erase", response_class=HTMLResponse)
def erase_form(request: Request, principal: Writer, viewer: ViewerDep, work: WorkDep, ref: Ref) -> HTMLResponse:
    return _erase_page(request, work, viewer, ref, error=None)


@router.post("/{ref}/erase", response_class=HTMLResponse)
def erase(
    request: Request, principal: Writer, viewer: ViewerDep, runtime: RuntimeDep, ref: Ref, form: FormFields
) -> Response:
    """Only with the person's ref typed back (the confirmation page asks for its first eight characters)."""
    error: FormError | None = None
    if text(form, "confirm", limit=36).lower() != ref[:8]:
        problem = Problem("confirm", "type the first eight characters of the ref to confirm")
        error = FormError.of(InvalidInput("the person was not erased", [problem]))
    else:
        try:
            done = erase_now.erase_now(runtime, principal.actor, ref)  # audited there (person.erase)
        except (Conflict, SystemFailed) as exc:
            error = _error(exc)
        else:
            return render_page(request, "person_erased.html.j2", viewer=viewer, ref=ref, done=done)
    with runtime.work(principal.actor) as work:
        return _erase_page(request, work, viewer, ref, error=error)


def _erase_page(request: Request, work: Work, viewer: Viewer, ref: str, *, error: FormError | None) -> HTMLResponse:
    preview = erase_now.preview_erasure(work, ref)  # audited there (person.read)
    return render_page(
        request,
        "person_erase.html.j2",
        viewer=viewer,
        status=error.status if error else 200,
        person=preview.person,
        preview=preview,
        error=error,
    )


# -- helpers -----------------------------------------------------------------------------------------------------


def _new_page(
    request: Request, work: Work, viewer: Viewer, *, form: dict[str, str], error: FormError | None
) -> HTMLResponse:
    choices = _choices(work)
    return render_page(
        request,
        "person_new.html.j2",
        viewer=viewer,
        status=error.status if error else 200,
        form=form,
        error=error,
        **choices,
    )


def _choices(work: Work) -> dict[str, object]:
    """The policy's categories and activities by their titles, and the organisations (None: too many to list)."""
    session, policy = work.session, work.policy
    organisations = None
    if (session.scalar(select(func.count()).select_from(Organisation)) or 0) <= ORGANISATION_CHOICES:
        rows = session.execute(select(Organisation.id, Organisation.name).order_by(Organisation.name, Organisation.id))
        organisations = [(str(org_id), name) for org_id, name in rows]
    return {
        "categories": [(c.id, c.name) for c in policy.subject_categories],
        "activities": [(a.id, a.name) for a in policy.activities],
        "organisations": organisations,
    }


def _relationship(form: dict[str, str]) -> RelationshipCreate:
    """The relationship part of a form as the register's input; each problem named by the form's field."""
    problems: list[Problem] = []
    organisation = form.get("organisation_id", "")
    if organisation and not organisation.isdigit():
        problems.append(Problem("organisation_id", "is not an organisation's number", hint="e.g. 12"))
    started = _day(form.get("started_on", ""), "started_on", problems)
    last = _day(form.get("last_interaction_on", ""), "last_interaction_on", problems)
    if not form.get("subject_category"):
        problems.append(Problem("subject_category", "choose why the person is registered"))
    if problems:
        raise InvalidInput("the relationship was not recorded", problems)
    try:
        return RelationshipCreate(
            subject_category=form["subject_category"],
            activity=form.get("activity") or None,
            organisation_id=int(organisation) if organisation else None,
            started_on=started,
            last_interaction_on=last,
            source=form.get("source") or None,
        )
    except ValidationError as exc:
        raise _invalid("the relationship was not recorded", exc, whole="started_on") from None


def _day(value: str, name: str, problems: list[Problem]) -> date | None:
    """A date as a date input sends it (YYYY-MM-DD); anything else is a problem of that field."""
    if not value:
        return None
    if _DAY.fullmatch(value):  # fromisoformat alone would take 2024-W13-1 or 20240325
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.append(Problem(name, f"{value!r} is not a date", hint="YYYY-MM-DD"))
    return None


def _invalid(message: str, exc: ValidationError, *, whole: str) -> InvalidInput:
    """A schema's refusal as the form's problems; a check of the whole model (`whole`) names that field."""
    found = []
    for item in exc.errors():
        where = ".".join(str(p) for p in item["loc"] if not isinstance(p, int)) or whole
        found.append(Problem(where, str(item["msg"]).removeprefix("Value error, ")))
    return InvalidInput(message, found)


def _error(exc: CustosError) -> FormError:
    """The refusal next to its field: the register's `relationships[0].x` and `emails[0]` are the form's `x` and
    `email`; an address already registered is a refusal of that field."""
    error = FormError.of(exc, {"emails[0]": "email", "phones[0]": "phone", "relationships": "subject_category"})
    if isinstance(exc, Conflict) and not error.fields:
        name = "phone" if "phone" in exc.message else "email" if "email" in exc.message else None
        if name is not None:
            return FormError(error.message, {name: exc.message}, error.status)
    return error
