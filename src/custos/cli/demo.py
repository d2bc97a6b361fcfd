"""`custos demo seed`: a synthetic installation to try Custos on, with four months of use behind it."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from custos.access.models import Staff
from custos.access.permissions import CUSTOS_SCOPE
from custos.access.principal import Principal, holds
from custos.cli.context import CliState, state
from custos.cli.identity import require
from custos.demo.history import HISTORY_DAYS, HistoryReport, seed_history
from custos.demo.owners import hand_unowned_systems
from custos.demo.seed import SeedReport, seed_register
from custos.register.people import count_people
from custos.retention.sweep import run_sweep
from custos.retention.systems_step import SystemSteps
from custos.runtime import Runtime

app = typer.Typer(help="Demo data: a synthetic but realistic register.", no_args_is_help=True)


@app.command()
def seed(
    ctx: typer.Context,
    people: Annotated[int, typer.Option("--people", min=1, help="How many people to add.")],
    seed: Annotated[int, typer.Option("--seed", help="The same seed always gives the same people and story.")] = 1,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing (and succeed) if the register already has people.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Add the demo people even if the register already has people.")
    ] = False,
) -> None:
    """Fill an empty installation with four months of synthetic use: people, requests, cookie choices, breaches
    and sweeps, each through the services staff and visitors use (a register that has people gets people only,
    with --force)."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "register.write")
        _hand_over_systems(st, rt, principal)
        with rt.work(principal.actor) as work:
            existing = count_people(work)
        if existing and if_empty:
            st.console.print(f"The register already has {existing} people; nothing seeded.")
            return
        with (
            tempfile.TemporaryDirectory(prefix="custos-demo-") as workdir,
            Progress(
                TextColumn("{task.description:<34}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=st.console,
                transient=True,
            ) as bar,
        ):
            people_task = bar.add_task("starting", total=people)

            def on_people(step: str, done: int, total: int) -> None:
                bar.update(people_task, description=step, completed=done, total=total)

            if existing:
                # Refused without --force; with it, the people only, today: the story is for a new installation.
                report = seed_register(
                    rt, principal.actor, people, seed, Path(workdir), progress=on_people, force=force
                )
                swept = _first_sweep(rt, principal)
                history = None
            else:
                story_task = bar.add_task("the story so far", total=None)

                def on_story(step: str, done: int, total: int) -> None:
                    bar.update(story_task, description=step, completed=done, total=total)

                history = seed_history(
                    rt,
                    principal,
                    people=people,
                    seed=seed,
                    workdir=Path(workdir),
                    register_progress=on_people,
                    history_progress=on_story,
                )
                assert history.register is not None
                report, swept = history.register, history.today_swept
    _summary(st, report)
    if history is not None:
        _story(st, history)
    if swept:
        st.console.print(
            f"Today's daily sweep erased or trimmed {swept} of them, past their due date: the demo register "
            "stands as if the daily sweep had always run (see Retention → sweeps, and `custos doctor`)."
        )


def _first_sweep(rt: Runtime, principal: Principal) -> int:
    """The demo's people are dated over years, so some are past due on the day they are seeded; the daily sweep
    would erase them at its next hour. Running it now keeps the promise from the first minute (`custos doctor`
    on a fresh `make run` reports nothing) and gives the retention pages a sweep to show."""
    if not holds(principal.grants, "retention.run", CUSTOS_SCOPE, rt.policy):
        return 0
    reports = run_sweep(rt, principal.actor, trigger="cli", systems=SystemSteps(rt))
    return sum(r.erased + r.trimmed for r in reports)


def _story(st: CliState, history: HistoryReport) -> None:
    parts = []
    if history.requests is not None:
        parts.append(_plural(len(history.requests.refs), "data subject request"))
    if history.visitors is not None:
        parts.append(_plural(history.visitors.records, "consent record"))
    if history.breaches is not None:
        parts.append(_plural(len(history.breaches.ids), "personal data breach", "personal data breaches"))
    if len(history.swept) > 1:
        parts.append(_plural(len(history.swept) - 1, "earlier sweep"))
    if parts:
        st.console.print(
            f"Played {HISTORY_DAYS} days of use through the services: {', '.join(parts)} "
            "(dated as they happened; `custos audit verify` checks their trail)."
        )


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


def _hand_over_systems(st: CliState, rt: Runtime, principal: Principal) -> None:
    """The manual systems nobody can keep go to whoever seeds the demo (see custos.demo.owners)."""
    if principal.via == "token" or not holds(principal.grants, "systems.manage", CUSTOS_SCOPE, rt.policy):
        return
    with rt.work(principal.actor) as work:
        handed = hand_unowned_systems(work, principal.staff_id)
        staff = work.session.get(Staff, principal.staff_id)
        address = staff.email if staff is not None else None
    if handed and address is not None:
        st.console.print(
            f"Manual tasks of {', '.join(handed)} go to {address} in this demo (the owner the policy names has "
            "no staff account here); set real owners in the admin UI under Systems."
        )


def _summary(st: CliState, report: SeedReport) -> None:
    plan = report.plan
    organisations = (
        report.contacts.organisations_created + report.prospects.organisations_created + report.organisations_created
    )
    st.console.print(
        f"Added {report.people_added} people: {report.contacts.people_created} customer contacts "
        f"(of {plan.contacts}), {report.prospects.people_created} prospects (of {plan.prospects}), "
        f"{report.employees} employees, {report.supplier_contacts} supplier contacts, "
        f"{report.partner_contacts} partner contacts; "
        f"{organisations} organisations."
    )
    if report.already_present or report.contacts.unchanged or report.prospects.unchanged:
        st.console.print(
            f"{report.already_present + report.contacts.unchanged + report.prospects.unchanged} "
            "were already in the register and were left as they were."
        )
