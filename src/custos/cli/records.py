"""`custos records export`: the Art. 30 records for the authority, as HTML (printable), CSV or JSON.

Needs `records.read`. The processor record names one contact person per customer only for a reader who also
holds `register.read`; the export is audited either way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from custos.access.permissions import CUSTOS_SCOPE
from custos.access.principal import holds
from custos.cli.context import state
from custos.cli.identity import require
from custos.records import service

app = typer.Typer(help="Records of processing activities (GDPR Art. 30).", no_args_is_help=True)


@app.command()
def export(
    ctx: typer.Context,
    fmt: Annotated[
        Literal["html", "csv", "json"], typer.Option("--format", help="html (printable), csv or json.")
    ] = "html",
    kind: Annotated[
        Literal["controller", "processor"], typer.Option(help="controller (Art. 30(1)) or processor (Art. 30(2)).")
    ] = "controller",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Write the controller's or the processor's record; a policy lacking a field the record needs is refused."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "records.read")
        show = holds(principal.grants, "register.read", CUSTOS_SCOPE, rt.policy)
        with rt.work(principal.actor) as work:
            text = service.export(work, kind, fmt, show_contacts=show)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        st.console.print(f"Wrote the {kind} record ({fmt}) to {output}.")
    else:
        typer.echo(text, nl=False)
