"""`custos audit verify|export|actions`: check the chain, hand a date range to an auditor, list the actions."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from custos.audit import Action
from custos.audit.actions import MEANING, catalogue_markdown
from custos.audit.export import export_lines
from custos.audit.verify import verify_and_record
from custos.cli.context import state
from custos.cli.identity import require

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@app.command("actions")
def actions_command(
    ctx: typer.Context,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print docs/audit-actions.md.")] = False,
) -> None:
    """List every action the audit log can hold, with what it means."""
    st = state(ctx)
    if markdown:
        sys.stdout.write(catalogue_markdown())
        return
    for action in sorted(Action, key=str):
        st.console.print(f"[bold]{action}[/]  {escape(MEANING[action])}")


_DATE = ["%Y-%m-%d"]


@app.command("verify")
def verify_command(ctx: typer.Context) -> None:
    """Recompute every hash of the audit log; exit 1 naming the first broken link."""
    st = state(ctx)
    with st.runtime() as rt:
        actor = require(ctx, rt, "audit.read").actor
        with _progress(st.errors, "verifying") as advance:
            report = verify_and_record(rt, actor, progress=advance)
    if not report.ok:
        where = f" at event {report.first_broken}" if report.first_broken is not None else ""
        st.errors.print(f"[bold red]audit log broken[/]{where}: {escape(report.reason or '')}")
        st.errors.print(f"{report.events_checked:,} events verified before the break.")
        raise typer.Exit(1)
    st.console.print(f"audit log intact: {report.events_checked:,} events verified")
    if report.last_hash:
        st.console.print(f"head hash: {report.last_hash}  (note it elsewhere to anchor the chain up to here)")


@app.command("export")
def export_command(
    ctx: typer.Context,
    from_: Annotated[datetime, typer.Option("--from", formats=_DATE, help="First day (UTC), YYYY-MM-DD.")],
    to: Annotated[datetime, typer.Option("--to", formats=_DATE, help="Last day (UTC), included.")],
    output: Annotated[Path | None, typer.Option(help="File to write; standard output when omitted.")] = None,
) -> None:
    """Write the events of a date range as JSON lines, with seq, hash and prev_hash to re-verify them."""
    st = state(ctx)
    first, last = from_.date(), to.date()
    with st.runtime() as rt:
        actor = require(ctx, rt, "audit.read").actor
        with _open(output) as sink, _progress(st.errors, "exporting", enabled=output is not None) as advance:
            written = export_lines(rt, actor, first, last, sink.write, progress=advance)
    where = f" to {output}" if output is not None else ""
    st.errors.print(f"exported {written:,} events ({first} … {last}){where}")


@contextmanager
def _open(output: Path | None) -> Iterator[TextIO]:
    if output is None:
        yield sys.stdout
        return
    with output.open("w", encoding="utf-8") as handle:
        yield handle


@contextmanager
def _progress(console: Console, label: str, *, enabled: bool = True) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on the terminal for long runs; nothing when output is not a terminal."""
    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not (enabled and console.is_terminal),
    )
    task = bar.add_task(label, total=None)

    def advance(done: int, total: int) -> None:
        bar.update(task, completed=done, total=max(total, done))

    with bar:
        yield advance
