"""`custos audit verify|seal|heads|prove|export|actions`: check the log, seal it, hand proofs and date ranges to
an auditor or a witness, list the actions."""

from __future__ import annotations

import json
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
from custos.audit.proofs import check_proof, export_heads, prove
from custos.audit.seal import seal
from custos.audit.verify import default_workers, verify_and_record
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
def verify_command(
    ctx: typer.Context,
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="Processes checking blocks in parallel (default: cores, ≤ 4).")
    ] = None,
) -> None:
    """Seal what is pending, then recompute every hash of the audit log; exit 1 naming the first broken place."""
    st = state(ctx)
    with st.runtime() as rt:
        actor = require(ctx, rt, "audit.read").actor
        with _progress(st.errors, "verifying") as advance:
            report = verify_and_record(rt, actor, progress=advance, workers=workers or default_workers())
    if not report.ok:
        where = f" at event {report.first_broken}" if report.first_broken is not None else ""
        st.errors.print(f"[bold red]audit log broken[/]{where}: {escape(report.reason or '')}")
        st.errors.print(f"{report.events_checked:,} events verified before the break.")
        raise typer.Exit(1)
    blocks = f" in {report.blocks:,} sealed block{'' if report.blocks == 1 else 's'}" if report.blocks else ""
    st.console.print(f"audit log intact: {report.events_checked:,} events verified{blocks}")
    if report.unsealed:
        st.console.print(f"{report.unsealed:,} events appended during the check are not sealed yet")
    if report.last_hash:
        st.console.print(f"head hash: {report.last_hash}  (`custos audit heads` exports the signed heads)")


@app.command("seal")
def seal_command(ctx: typer.Context) -> None:
    """Seal the events appended since the last block now (servers and workers do it every few seconds)."""
    st = state(ctx)
    with st.runtime() as rt:
        require(ctx, rt, "audit.read")
        report = seal(rt.db, rt.clock, rt.keys)
    if report.refused is not None:
        st.errors.print(f"[bold red]event {report.refused} no longer matches its hash[/]: not sealed; run verify")
        raise typer.Exit(1)
    st.console.print(f"sealed {report.events:,} events in {report.blocks:,} blocks (sealed up to {report.last_seq:,})")


@app.command("heads")
def heads_command(
    ctx: typer.Context,
    after: Annotated[int, typer.Option(help="Only blocks numbered above this one (what a witness has not seen).")] = -1,
    output: Annotated[Path | None, typer.Option(help="File to write; standard output when omitted.")] = None,
) -> None:
    """Write the signed block heads as JSON lines, with the public keys, for an outside witness to keep."""
    st = state(ctx)
    with st.runtime() as rt:
        actor = require(ctx, rt, "audit.read").actor
        with _open(output) as sink:
            written = export_heads(rt, actor, sink.write, after=after)
    st.errors.print(f"exported {written:,} block heads")


@app.command("prove")
def prove_command(
    ctx: typer.Context,
    seq: Annotated[int, typer.Argument(min=1, help="The event's number.")],
    output: Annotated[Path | None, typer.Option(help="File to write; standard output when omitted.")] = None,
) -> None:
    """Write the inclusion proof of one event in its signed block (JSON), checked before it is written (an event
    not sealed yet: run `custos audit seal` first)."""
    st = state(ctx)
    with st.runtime() as rt:
        actor = require(ctx, rt, "audit.read").actor
        proof = prove(rt, actor, seq)
    problems = check_proof(proof)
    if problems:
        st.errors.print(f"[bold red]the proof of event {seq} does not hold[/]: {escape('; '.join(problems))}")
        raise typer.Exit(1)
    with _open(output) as sink:
        sink.write(json.dumps(proof, ensure_ascii=False, indent=2) + "\n")


@app.command("check-proof")
def check_proof_command(
    ctx: typer.Context,
    proof_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A proof from `custos audit prove`.")],
    head: Annotated[str | None, typer.Option(help="A head you already hold (from a witness) to check against.")] = None,
) -> None:
    """Check an inclusion proof offline: no database, no keys (what an auditor runs)."""
    st = state(ctx)
    try:
        proof = json.loads(proof_file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        st.errors.print(f"[bold red]{escape(str(proof_file))} is not a JSON proof[/]: {escape(str(exc))}")
        raise typer.Exit(1) from None
    problems = check_proof(proof, trusted_head=head) if isinstance(proof, dict) else ["not a JSON object"]
    if problems:
        st.errors.print(f"[bold red]proof does not hold[/]: {escape('; '.join(problems))}")
        raise typer.Exit(1)
    event = proof["event"]
    st.console.print(
        f"proof holds: event {event['seq']} is in block {proof['block']['block']} (head {proof['block']['head']})"
    )


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
