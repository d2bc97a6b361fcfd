"""`custos doctor`: every promise of the policy checked on live data, each finding with its fix.

Exit code 0 when every invariant holds, 1 when one is broken or could not be checked, so a cron job or a
monitoring check can run it daily. Needs `doctor.read` (findings name people by ref).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from custos.cli.context import state
from custos.cli.identity import require
from custos.invariants import INVARIANTS, Examination, InvariantContext, invariant, run_doctor


def register(app: typer.Typer) -> None:
    @app.command()
    def doctor(
        ctx: typer.Context,
        at: Annotated[
            datetime | None,
            typer.Option("--at", formats=["%Y-%m-%d"], help="Check as of this day (YYYY-MM-DD); default today."),
        ] = None,
        only: Annotated[
            list[str] | None, typer.Option("--only", help="Check only this invariant (repeatable).")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
        list_: Annotated[bool, typer.Option("--list", help="List the invariants and what they serve.")] = False,
    ) -> None:
        """List every record that breaks one of the policy's promises, with the fix for each."""
        st = state(ctx)
        if list_:
            table = Table("invariant", "promise", "serves")
            for entry in INVARIANTS:
                table.add_row(entry.id, entry.promise(), entry.serves)
            st.console.print(table)
            return
        for name in only or []:
            invariant(name)  # an unknown name is an error, not a silent pass
        with st.runtime() as rt:
            principal = require(ctx, rt, "doctor.read")
            check = InvariantContext.of(rt, at.date() if at is not None else None)
            with rt.work(principal.actor) as work:
                result = run_doctor(work, check, only=only)
        if as_json:
            st.console.print_json(json.dumps(_as_json(result, check.on.isoformat())))
        else:
            _print(st.console, result, check.on.isoformat())
        if not result.healthy:
            raise typer.Exit(1)


def _print(console: Console, result: Examination, on: str) -> None:
    if result.healthy:
        console.print(f"[green]Every promise holds[/green] as of {on} ({len(result.outcomes)} invariants checked).")
        return
    for outcome in result.broken:
        entry = outcome.invariant
        console.print(f"\n[bold red]✗ {entry.id}[/bold red] — {escape(entry.promise())} [dim]({entry.serves})[/dim]")
        if outcome.error is not None:
            console.print(f"  could not be checked: {escape(outcome.error)}")
            continue
        table = Table("record", "what is wrong", "fix", show_lines=False)
        for finding in outcome.findings:
            table.add_row(escape(finding.subject), escape(finding.detail), escape(finding.fix or entry.fix()))
        console.print(table)
        if outcome.more:
            console.print(f"  … and more; only the first {len(outcome.findings)} are shown.")
    held = len(result.outcomes) - len(result.broken)
    console.print(f"\n{len(result.broken)} of {len(result.outcomes)} invariants broken as of {on}; {held} hold.")


def _as_json(result: Examination, on: str) -> dict[str, object]:
    return {
        "as_of": on,
        "healthy": result.healthy,
        "invariants": [
            {
                "id": o.invariant.id,
                "promise": o.invariant.promise(),
                "serves": o.invariant.serves,
                "holds": o.holds,
                "error": o.error,
                "more": o.more,
                "findings": [
                    {"record": f.subject, "problem": f.detail, "fix": f.fix or o.invariant.fix()} for f in o.findings
                ],
            }
            for o in result.outcomes
        ],
    }
