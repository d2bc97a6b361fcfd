"""`custos system-tasks list|retry`: the connected systems' manual tasks and failed erasures from the command line.

`list` shows the open tasks of the systems the acting member owns (`systems.tasks` in a grant covering the
system), by person ref only — the identities to look for are shown in the admin UI, where the look is audited.
`retry` runs failed erasures again now instead of waiting for the hourly job (`systems.manage`).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from custos.cli.context import state
from custos.cli.identity import require
from custos.systems import tasks
from custos.systems.runs import retry_failed

app = typer.Typer(help="Connected systems: manual tasks for system owners, and retrying failed erasures.")


@app.command("list")
def list_tasks(
    ctx: typer.Context,
    system: Annotated[str, typer.Option(help="The system whose open tasks to list.")],
) -> None:
    """Open tasks of one system, oldest last."""
    st = state(ctx)
    with st.runtime() as rt:
        rt.policy.system(system)
        principal = require(ctx, rt, "systems.tasks", system)
        with rt.work(principal.actor) as work:
            rows = tasks.list_tasks(work, [system], state="open")
    table = Table("task", "system", "operation", "person (ref)", "cause", "since")
    for t in rows:
        since = rt.policy.jurisdiction.format_time(t.created_at)  # the organisation's clock, with the offset
        table.add_row(str(t.id), t.system, t.operation, t.subject_ref, t.cause, since)
    st.console.print(table if rows else f"No open tasks in {system}.")


@app.command()
def retry(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many failed erasures.")] = 100,
) -> None:
    """Run failed erasures in connected systems again; each either succeeds or stays failed for the next try."""
    st = state(ctx)
    with st.runtime() as rt:
        require(ctx, rt, "systems.manage")
        outcomes = retry_failed(rt, limit=limit)
    done = sum(1 for o in outcomes if o.status == "done")
    st.console.print(f"{len(outcomes)} failed erasures retried: {done} done, {len(outcomes) - done} still failing.")
