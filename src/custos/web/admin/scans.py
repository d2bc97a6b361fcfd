"""Confirming in the browser a data map that `custos systems scan` proposed: accept or reject each proposal.

`systems.manage`. The server scans the system through its own connection (the policy's connection variable):
it must reach the system anyway to export and erase, so there is no upload of a scan made elsewhere. The
review form is one page per scan, every table with its columns; saving checks the map against the policy and
the live schema and shows each problem next to its table and column; a second page shows the map in words
and asks for the confirmation that writes it (`custos.systems.scan_review`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from custos.access.principal import Principal
from custos.errors import ConfigurationError, Conflict, CustosError, InvalidInput, NotFound, Problem, SystemFailed
from custos.runtime import Runtime
from custos.systems import scan_review
from custos.systems.connectors import connector_for
from custos.systems.scan_review import ScanView, TableChoice
from custos.web.admin.forms import FormError, text
from custos.web.admin.pages import Viewer, ViewerDep, render_page
from custos.web.auth import FormFields, Require, WorkDep
from custos.web.deps import RuntimeDep
from custos.web.errors import status_for

router = APIRouter(prefix="/admin/systems/scans", include_in_schema=False)

Manager = Annotated[Principal, Require("systems.manage")]
_DONE = {"discarded"}


@router.get("", response_class=HTMLResponse)
def scans_page(
    request: Request,
    principal: Manager,
    viewer: ViewerDep,
    runtime: RuntimeDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    system: Annotated[str, Query(max_length=80)] = "",
    done: str | None = None,
) -> HTMLResponse:
    return _list(request, runtime, principal, viewer, page=page, selected=system, done=done)


@router.post("", response_class=HTMLResponse)
def start_scan(
    request: Request, principal: Manager, viewer: ViewerDep, runtime: RuntimeDep, form: FormFields
) -> Response:
    system_id = text(form, "system", limit=80)
    try:
        runtime.policy.system(system_id)  # an unknown system is refused next to the field
    except NotFound:
        error = FormError("choose a system to scan", {"system": "choose a connected database"})
        return _list(request, runtime, principal, viewer, error=error, selected=system_id)
    try:
        result, source = scan_review.scan_connected(runtime, system_id)
        with runtime.work(principal.actor) as work:
            scan_id = scan_review.store_scan(work, result, source)
    except (InvalidInput, SystemFailed) as exc:
        error = FormError(exc.message, {"system": exc.message}, status_for(exc))
        return _list(request, runtime, principal, viewer, error=error, selected=system_id)
    return RedirectResponse(f"/admin/systems/scans/{scan_id}", status_code=303)


@router.get("/{scan_id}", response_class=HTMLResponse)
def scan_page(
    request: Request, scan_id: int, principal: Manager, viewer: ViewerDep, runtime: RuntimeDep, work: WorkDep
) -> HTMLResponse:
    view = scan_review.scan_view(work, runtime, scan_id)
    return _review(request, runtime, viewer, view)


@router.post("/{scan_id}", response_class=HTMLResponse)
def save_scan(
    request: Request, scan_id: int, principal: Manager, viewer: ViewerDep, runtime: RuntimeDep, form: FormFields
) -> Response:
    with runtime.work(principal.actor) as work:
        view = scan_review.scan_view(work, runtime, scan_id)
    choices = _choices(view, form)
    try:
        # The choices are kept even when the map they make fails its checks, to be corrected.
        with runtime.work(principal.actor) as work:
            problems = scan_review.save_choices(work, scan_id, choices)
        with runtime.work(principal.actor) as work:
            scan_review.check_map(work, runtime, scan_id, problems)
    except (InvalidInput, Conflict, ConfigurationError, SystemFailed) as exc:
        with runtime.work(principal.actor) as work:
            view = scan_review.scan_view(work, runtime, scan_id)
        return _review(request, runtime, viewer, _overlay(view, choices), error=_located(exc, view))
    return RedirectResponse(f"/admin/systems/scans/{scan_id}/confirm", status_code=303)


@router.get("/{scan_id}/confirm", response_class=HTMLResponse)
def confirm_page(
    request: Request, scan_id: int, principal: Manager, viewer: ViewerDep, runtime: RuntimeDep, work: WorkDep
) -> HTMLResponse:
    view = scan_review.scan_view(work, runtime, scan_id)
    if view.state != "open" or any(t.decision == "pending" for t in view.tables):
        return _review(request, runtime, viewer, view)
    return render_page(request, "scans_confirm.html.j2", viewer=viewer, view=view, error=None, words_of=_rule_words)


@router.post("/{scan_id}/confirm", response_class=HTMLResponse)
def confirm_scan(
    request: Request, scan_id: int, principal: Manager, viewer: ViewerDep, runtime: RuntimeDep
) -> Response:
    try:
        # Its own unit: a mapping file that cannot be written rolls the confirmation (and its event) back.
        with runtime.work(principal.actor) as work:
            scan_review.confirm_scan(work, runtime, scan_id)
    except (InvalidInput, Conflict, ConfigurationError, SystemFailed) as exc:
        with runtime.work(principal.actor) as work:
            view = scan_review.scan_view(work, runtime, scan_id)
        error = _located(exc, view)
        return render_page(
            request,
            "scans_confirm.html.j2",
            viewer=viewer,
            status=error.status,
            view=view,
            error=error,
            words_of=_rule_words,
        )
    return RedirectResponse(
        f"/admin/systems/{view_system(runtime, principal, scan_id)}?done=mapping_confirmed", status_code=303
    )


@router.post("/{scan_id}/discard", response_class=HTMLResponse)
def discard_scan(request: Request, scan_id: int, principal: Manager, work: WorkDep) -> Response:
    scan_review.discard_scan(work, scan_id)
    return RedirectResponse("/admin/systems/scans?done=discarded", status_code=303)


def view_system(runtime: Runtime, principal: Principal, scan_id: int) -> str:
    with runtime.work(principal.actor) as work:
        return scan_review.scan_view(work, runtime, scan_id).system_id


def _list(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    viewer: Viewer,
    *,
    page: int = 1,
    selected: str = "",
    error: FormError | None = None,
    done: str | None = None,
) -> HTMLResponse:
    with runtime.work(principal.actor) as work:
        scans, more = scan_review.list_scans(work, page=page)
    systems = [s for s in runtime.policy.systems if connector_for(s).scannable]
    names = {s.id: s.name for s in runtime.policy.systems}
    return render_page(
        request,
        "scans.html.j2",
        viewer=viewer,
        status=error.status if error else 200,
        scans=scans,
        names=names,
        page=page,
        more=more,
        choices=[(s.id, s.name) for s in systems],
        selected=selected or (systems[0].id if systems else ""),
        error=error,
        done=done if done in _DONE else None,
    )


def _review(
    request: Request, runtime: Runtime, viewer: Viewer, view: ScanView, *, error: FormError | None = None
) -> HTMLResponse:
    categories = [(c.id, f"{c.description} ({c.id})") for c in runtime.policy.data_categories]
    return render_page(
        request,
        "scans_review.html.j2",
        viewer=viewer,
        status=error.status if error else 200,
        view=view,
        error=error,
        categories=categories,
        known={c.id for c in runtime.policy.data_categories},
        identity_kinds=scan_review.IDENTITY_KINDS,
        words_of=_rule_words,
    )


def _choices(view: ScanView, form: dict[str, str]) -> dict[int, TableChoice]:
    """The form's fields, `t<i>-decision`, `t<i>-c<j>-category`, `t<i>-c<j>-identity`, `t<i>-erase`."""
    found: dict[int, TableChoice] = {}
    for table in view.tables:
        prefix = f"t{table.index}"
        decision = text(form, f"{prefix}-decision", limit=10)
        found[table.index] = TableChoice(
            decision=decision,
            categories={
                c.name: text(form, f"{prefix}-c{j}-category", limit=120) or c.category
                for j, c in enumerate(table.columns)
            },
            identities={
                c.name: text(form, f"{prefix}-c{j}-identity", limit=20) or None for j, c in enumerate(table.columns)
            },
            erase=text(form, f"{prefix}-erase", limit=20) or table.erase_choice,
        )
    return found


def _overlay(view: ScanView, choices: dict[int, TableChoice]) -> ScanView:
    """The view as the form sent it, for showing a refused form with the person's own choices."""
    tables = []
    for table in view.tables:
        choice = choices.get(table.index)
        if choice is None:
            tables.append(table)
            continue
        columns = [
            replace(c, category=choice.categories.get(c.name, c.category), identity=choice.identities.get(c.name))
            for c in table.columns
        ]
        decision = choice.decision if choice.decision in scan_review.DECISIONS else table.decision
        tables.append(replace(table, decision=decision, columns=columns, erase_choice=choice.erase))
    return replace(view, tables=tables)


def _located(exc: CustosError, view: ScanView) -> FormError:
    """Each problem next to the form field of its table and column (`tables.<t>.columns.<c>` → `t0-c2-category`)."""
    fields: dict[str, str] = {}
    by_name = {t.name: t for t in view.tables}
    for problem in exc.problems:
        name = _field(problem, by_name)
        message = f"{problem.message} ({problem.hint})" if problem.hint else problem.message
        fields[name] = f"{fields[name]}; {message}" if name in fields else message
    return FormError(exc.message, fields, status_for(exc))


def _field(problem: Problem, tables: dict[str, scan_review.TableView]) -> str:
    parts = problem.location.split(".")
    if len(parts) < 2 or parts[0] != "tables" or parts[1] not in tables:
        return "tables"
    table = tables[parts[1]]
    prefix = f"t{table.index}"
    if len(parts) >= 4 and parts[2] in ("columns", "identity", "rectify"):
        names = [c.name for c in table.columns]
        if parts[3] in names:
            kind = "identity" if parts[2] == "identity" else "category"
            return f"{prefix}-c{names.index(parts[3])}-{kind}"
    if len(parts) >= 3 and parts[2] == "erase":
        return f"{prefix}-erase"
    return f"{prefix}-decision"


def _rule_words(rule: object) -> dict[str, object]:
    """An erasure rule as the template words it: its kind and the values its sentence needs."""
    if isinstance(rule, str):
        return {"kind": rule}
    if isinstance(rule, dict):
        if "anonymise" in rule:
            columns = rule["anonymise"]
            return {"kind": "anonymise", "columns": ", ".join(columns if isinstance(columns, (dict, list)) else [])}
        if "keep" in rule:
            period = str(rule["keep"])
            years = period[1:-1] if period.startswith("P") and period.endswith("Y") else None
            return {
                "kind": "keep_until",
                "years": years,
                "period": period,
                "from": rule.get("from", ""),
                "law": rule.get("law") or "",
                "then": _rule_words(rule.get("then")),
            }
    return {"kind": "none"}
