"""The connected-systems pages: the inventory, a system's mapping and outcomes, and the tasks waiting for
someone (`systems.read`), owners (`systems.manage`), and the manual tasks of a system's owner with the
confirmation form (`systems.tasks`).

Kind, mapping and connection come from the policy file and are shown, never edited, here (policy as code);
an owner is operational state and is set here. A task's identities are shown only on its own page, to an
owner whose grant covers its system, and that look is audited.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from custos.access.principal import Principal
from custos.errors import Conflict, InvalidInput, NotFound, Problem
from custos.runtime import Runtime
from custos.systems import inventory, ownership, tasks
from custos.systems.connectors import connector_for
from custos.systems.held import categories_for
from custos.web.admin.forms import FormError, text
from custos.web.admin.pages import Viewer, ViewerDep, render_page
from custos.web.api.systems import RequireSomewhere, system_scope
from custos.web.auth import FormFields, Require, WorkDep
from custos.web.deps import RuntimeDep

router = APIRouter(prefix="/admin/systems", include_in_schema=False)

Reader = Annotated[Principal, Require("systems.read")]
Manager = Annotated[Principal, Require("systems.manage")]
Owner = Annotated[Principal, Require("systems.tasks", system_scope)]
AnyOwner = Annotated[Principal, RequireSomewhere("systems.tasks")]

RUNS_SHOWN = 50
_DONE = {"owner_set", "confirmed", "bulk_confirmed"}


@router.get("", response_class=HTMLResponse)
def inventory_page(
    request: Request, principal: Reader, viewer: ViewerDep, runtime: RuntimeDep, work: WorkDep
) -> HTMLResponse:
    entries = inventory.inventory(work, runtime)
    return render_page(request, "systems.html.j2", viewer=viewer, entries=entries)


@router.get("/owners", response_class=HTMLResponse)
def owners_page(
    request: Request, principal: Manager, viewer: ViewerDep, runtime: RuntimeDep, done: str | None = None
) -> HTMLResponse:
    return _owners(request, runtime, principal, viewer, done=done)


@router.post("/owner", response_class=HTMLResponse)
def set_owner(
    request: Request, principal: Manager, viewer: ViewerDep, runtime: RuntimeDep, form: FormFields
) -> Response:
    system_id = text(form, "system", limit=80)
    owner = text(form, "owner", limit=320) or None
    try:
        with runtime.work(principal.actor) as work:
            inventory.set_owner(work, system_id, owner)
    except (InvalidInput, NotFound) as exc:
        error = FormError.of(exc)
        return _owners(request, runtime, principal, viewer, error=error, failed=system_id, value=owner or "")
    return RedirectResponse(f"/admin/systems/owners?done=owner_set#system-{system_id}", status_code=303)


@router.get("/tasks", response_class=HTMLResponse)
def tasks_page(
    request: Request,
    principal: AnyOwner,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    work: WorkDep,
    done: str | None = None,
    state: str = "open",
    system: str = "",
    offset: Annotated[int, Query(ge=0)] = 0,
    n: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:
    """The viewer's tasks, open or done, in one of their systems or all, a page at a time (people by ref only:
    a task's identities are on its own page)."""
    systems = tasks.systems_for(principal, runtime.policy)
    shown_state = state if state in tasks.STATES else "open"
    chosen = system if system in systems else ""
    found = tasks.page_tasks(work, systems, state=shown_state, system=chosen or None, offset=offset)
    done_tasks = (
        tasks.list_tasks(work, systems, state="done", limit=20)
        if shown_state == "open" and not chosen and not offset
        else []
    )
    names = {s.id: s.name for s in runtime.policy.systems}
    query = {k: v for k, v in (("state", shown_state if shown_state != "open" else ""), ("system", chosen)) if v}
    return render_page(
        request,
        "systems_tasks.html.j2",
        viewer=viewer,
        open_tasks=found.tasks if shown_state == "open" else [],
        found=found,
        done_tasks=done_tasks,
        state=shown_state,
        system=chosen,
        systems=[(s, names.get(s, s)) for s in systems],
        query=urlencode(query),
        count=n,
        done=done if done in _DONE else None,
    )


def _task_ids(form: dict[str, str]) -> list[int]:
    """The ticked tasks (`task-1`, `task-2` …), or every task of the page with "select all on this page"."""
    if form.get("all_on_page") == "1":
        raw = text(form, "page_tasks", limit=20 * tasks.MAX_BULK).split(",")
    else:
        raw = [text(form, name, limit=20) for name in sorted(form) if name.startswith("task-")]
    return [int(v) for v in raw if v.strip().isdigit()]


@router.post("/tasks/confirm", response_class=HTMLResponse)
def confirm_tasks(
    request: Request, principal: AnyOwner, viewer: ViewerDep, runtime: RuntimeDep, form: FormFields
) -> Response:
    """Several open tasks confirmed at once: first a confirmation naming how many (and any refused, with why),
    then each confirmed as the single form would, all in one transaction or none."""
    ids = _task_ids(form)
    other = [f.strip() for f in text(form, "other_fields", limit=1000).split(",") if f.strip()]
    note = form.get("note", "").strip()[: tasks.MAX_NOTE + 1] or None
    confirmed = form.get("confirm") == "1"
    systems = tasks.systems_for(principal, runtime.policy)

    def shown(plan: tasks.ConfirmPlan, error: FormError | None = None) -> HTMLResponse:
        return render_page(
            request,
            "systems_tasks_bulk.html.j2",
            viewer=viewer,
            status=error.status if error else 200,
            plan=plan,
            error=error,
            other_fields=text(form, "other_fields", limit=1000),
            note=form.get("note", ""),
        )

    try:
        with runtime.work(principal.actor) as work:
            if not confirmed:
                checked = tasks.plan_confirmations(work, systems, ids, other)
            else:
                finished = tasks.confirm_many(work, systems, ids, other_fields=other, note=note)
    except tasks.BulkConfirmRefused as exc:
        with runtime.work(principal.actor) as work:
            again = tasks.plan_confirmations(work, systems, ids, other)
        return shown(again, FormError.of(exc))
    except InvalidInput as exc:
        return shown(tasks.ConfirmPlan([], []), FormError.of(exc))
    if not confirmed:
        return shown(checked)
    return RedirectResponse(f"/admin/systems/tasks?done=bulk_confirmed&n={len(finished)}", status_code=303)


@router.get("/waiting", response_class=HTMLResponse)
def waiting_page(
    request: Request, principal: Reader, viewer: ViewerDep, runtime: RuntimeDep, work: WorkDep
) -> HTMLResponse:
    """Open tasks nobody can do, and those open longer than `system_task_days` (the dashboard links here).

    People by ref only, as on a system's page; a task's identities stay on its own page, for its owner."""
    days = runtime.settings.system_task_days
    waiting = ownership.waiting_tasks(work.session, work.policy, work.clock.now(), older_than_days=days)
    unowned = ownership.unowned_systems(work.session, work.policy, work.clock.now())
    names = {s.id: s.name for s in runtime.policy.systems}
    return render_page(
        request,
        "systems_waiting.html.j2",
        viewer=viewer,
        days=days,
        unassigned=[t for t in waiting if t.problem is not None],
        late=[t for t in waiting if t.problem is None],
        unowned=[(found, names.get(found.system, found.system)) for found in unowned],
        openable=set(tasks.systems_for(principal, runtime.policy)),
    )


@router.get("/{system_id}", response_class=HTMLResponse)
def system_page(
    request: Request,
    system_id: str,
    principal: Reader,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    work: WorkDep,
    done: str | None = None,
) -> HTMLResponse:
    entry = inventory.system_entry(work, runtime, system_id)
    runs = inventory.recent_runs(work, system_id, limit=RUNS_SHOWN)
    system = runtime.policy.system(system_id)
    return render_page(
        request,
        "systems_detail.html.j2",
        viewer=viewer,
        entry=entry,
        tables=entry.tables,
        scannable=connector_for(system).scannable,
        categories=categories_for(runtime.policy, system),
        runs=runs,
        done=done if done == "mapping_confirmed" else None,
    )


@router.get("/{system_id}/tasks/{task_id}", response_class=HTMLResponse)
def task_page(
    request: Request, system_id: str, task_id: int, principal: Owner, viewer: ViewerDep, runtime: RuntimeDep
) -> HTMLResponse:
    return _task(request, runtime, principal, viewer, system_id, task_id)


@router.post("/{system_id}/tasks/{task_id}/confirm", response_class=HTMLResponse)
def confirm_task(
    request: Request,
    system_id: str,
    task_id: int,
    principal: Owner,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    form: FormFields,
) -> Response:
    # Checkboxes are named field-1, field-2 … (the form reader keeps one value per name).
    fields = [text(form, name, limit=100) for name in sorted(form) if name.startswith("field-")]
    fields += [f.strip() for f in text(form, "other_fields", limit=1000).split(",") if f.strip()]
    records_text = text(form, "records", limit=9)
    kept = {
        "other_fields": text(form, "other_fields", limit=1000),
        "records": records_text,
        "note": form.get("note", ""),
    }
    try:
        if records_text and not records_text.isdigit():
            raise InvalidInput("the confirmation is incomplete", [Problem("records", "is not a whole number")])
        with runtime.work(principal.actor) as work:
            tasks.confirm_task(
                work,
                system_id,
                task_id,
                fields=fields,
                records=int(records_text) if records_text else None,
                note=form.get("note", "").strip()[: tasks.MAX_NOTE + 1] or None,
            )
    except (InvalidInput, Conflict, NotFound) as exc:
        return _task(request, runtime, principal, viewer, system_id, task_id, error=FormError.of(exc), form=kept)
    return RedirectResponse("/admin/systems/tasks?done=confirmed", status_code=303)


def _owners(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    viewer: Viewer,
    *,
    done: str | None = None,
    error: FormError | None = None,
    failed: str | None = None,
    value: str = "",
) -> HTMLResponse:
    with runtime.work(principal.actor) as work:
        entries = inventory.inventory(work, runtime)
    return render_page(
        request,
        "systems_owners.html.j2",
        viewer=viewer,
        status=error.status if error else 200,
        entries=entries,
        choices=[(e.id, e.name) for e in entries],
        error=error,
        failed=failed,
        value=value,
        done=done if done in _DONE else None,
    )


def _task(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    viewer: Viewer,
    system_id: str,
    task_id: int,
    *,
    error: FormError | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    with runtime.work(principal.actor) as work:
        detail = tasks.task_detail(work, system_id, task_id)
    return render_page(
        request,
        "systems_task.html.j2",
        viewer=viewer,
        status=error.status if error else 200,
        detail=detail,
        error=error,
        form=form or {},
    )
