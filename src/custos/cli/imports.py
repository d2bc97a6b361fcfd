"""`custos import contacts|prospects FILE.csv`: needs `register.import`; each import is audited with its counts,
by the importer, in the unit that writes its rows (`register.importer`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from custos.actor import Actor
from custos.cli.context import CliState, state
from custos.cli.identity import require
from custos.register.csv_rows import COLUMNS, ImportKind
from custos.register.importer import ImportReport, import_file
from custos.runtime import Runtime

app = typer.Typer(help="Import people from CSV files; a file is imported whole or not at all.", no_args_is_help=True)

SkipInvalid = Annotated[
    bool,
    typer.Option("--skip-invalid", help="Import the good rows and write the bad ones to a rejects file."),
]
Rejects = Annotated[Path | None, typer.Option(help="Where --skip-invalid writes bad rows (default FILE.rejects.csv).")]
Category = Annotated[str | None, typer.Option(help="Subject category from the policy (default per file kind).")]
Activity = Annotated[str | None, typer.Option(help="Processing activity, if the category has several.")]


@app.command(help=f"Customer contacts. Columns: {', '.join(COLUMNS['contacts'])}.")
def contacts(
    ctx: typer.Context,
    file: Path,
    skip_invalid: SkipInvalid = False,
    rejects: Rejects = None,
    category: Category = None,
    activity: Activity = None,
) -> None:
    _run(ctx, "contacts", file, skip_invalid, rejects, category, activity)


@app.command(help=f"Prospects met at fairs and meetings. Columns: {', '.join(COLUMNS['prospects'])}.")
def prospects(
    ctx: typer.Context,
    file: Path,
    skip_invalid: SkipInvalid = False,
    rejects: Rejects = None,
    category: Category = None,
    activity: Activity = None,
) -> None:
    _run(ctx, "prospects", file, skip_invalid, rejects, category, activity)


def _run(
    ctx: typer.Context,
    kind: ImportKind,
    file: Path,
    skip_invalid: bool,
    rejects: Path | None,
    category: str | None,
    activity: str | None,
) -> None:
    st = state(ctx)
    rejects_path = rejects or file.with_suffix(".rejects.csv")
    with st.runtime() as rt:
        principal = require(ctx, rt, "register.import")
        report = _import(st, rt, principal.actor, kind, file, skip_invalid, rejects_path, category, activity)
    _summary(st, report, rejects_path if report.rejected else None)


def _import(
    st: CliState,
    rt: Runtime,
    actor: Actor,
    kind: ImportKind,
    file: Path,
    skip_invalid: bool,
    rejects_path: Path,
    category: str | None,
    activity: str | None,
) -> ImportReport:
    with Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=st.console,
        transient=True,
    ) as bar:
        task = bar.add_task("checking", total=None)

        def step(phase: str, done: int, total: int) -> None:
            bar.update(task, description=phase, completed=done, total=total)

        return import_file(
            rt,
            actor,
            file,
            kind,
            subject_category=category,
            activity=activity,
            skip_invalid=skip_invalid,
            rejects_path=rejects_path,
            progress=step,
        )


def _summary(st: CliState, report: ImportReport, rejects: Path | None) -> None:
    st.console.print(
        f"{report.rows} rows: {report.people_created} people added, {report.people_updated} updated, "
        f"{report.relationships_created} relationships added, {report.relationships_updated} updated, "
        f"{report.unchanged} unchanged, {report.organisations_created} organisations added."
    )
    if rejects is not None:
        st.console.print(f"[yellow]{report.rejected} bad row(s) skipped and written to {rejects}[/]")
