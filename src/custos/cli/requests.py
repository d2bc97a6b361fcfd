"""`custos requests list|show|drive|verify|complete|refuse|extend|assess`: the queue from a terminal.

Everything needs `requests.manage` for the acting staff member (`--as EMAIL`); `assess` (the Art. 17(3)
decision before an erasure) needs `requests.assess`. `drive --all` is what the
`requests-drive` job runs: every request left mid-way is driven on, each step idempotent.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from custos.cli.context import state
from custos.cli.identity import require
from custos.requests import actions, answers, cases
from custos.requests.driver import drive_open, drive_request

app = typer.Typer(help="Data subject requests: the queue, driving them on, answering.", no_args_is_help=True)


@app.command("list")
def list_(
    ctx: typer.Context,
    state_: Annotated[str | None, typer.Option("--state", help="received, verifying, verified, ...")] = None,
    kind: Annotated[str | None, typer.Option(help="access, erasure, rectification, ...")] = None,
    overdue: Annotated[bool, typer.Option(help="Only requests past their due date.")] = False,
) -> None:
    """The queue, by due date, with days left."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "requests.manage")
        where = rt.policy.jurisdiction
        with rt.work(principal.actor) as work:
            rows = cases.list_requests(work, state=state_, kind=kind, overdue=overdue)
    table = Table("ref", "kind", "state", "received", "due", "days left", title=f"{len(rows)} requests")
    for row in rows:
        left = f"[bold red]{row.days_left}[/]" if row.overdue else str(row.days_left)
        # The day of receipt where the organisation is: the day its deadline counts from (Reg. 1182/71 Art. 3).
        received = where.local_date(row.received_at).isoformat()
        table.add_row(row.ref, row.kind, row.state, received, str(row.due_on), left)
    st.console.print(table)


@app.command("show")
def show(ctx: typer.Context, ref: str) -> None:
    """One request with its tasks and history."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "requests.manage")
        where = rt.policy.jurisdiction
        with rt.work(principal.actor) as work:
            _, public = cases.view(work, ref)
    st.console.print(
        f"[bold]{public.ref}[/] {public.kind} · {public.state} · received {where.format_time(public.received_at)}"
        f" · due {public.due_on} ({public.days_left} days)"
    )
    for task in public.tasks:
        st.console.print(f"  {task.target:<12} {task.action:<8} {task.state:<8} attempts {task.attempts}")
    for event in public.events:
        st.console.print(f"  {where.format_time(event.at)} {event.actor} {event.kind} {event.note or ''}")


@app.command("drive")
def drive(
    ctx: typer.Context,
    ref: Annotated[str | None, typer.Argument(help="The request; leave out with --all.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every request left mid-way.")] = False,
) -> None:
    """Run the next steps of a request (idempotent)."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "requests.manage")
        if all_:
            st.console.print(f"driven: {drive_open(rt)}")
            return
        if ref is None:
            raise typer.BadParameter("give a request ref or --all")
        result = drive_request(rt, ref, actor=principal.actor)
    st.console.print(
        f"{result.ref}: {result.state}; ready: {result.ready}; pending {result.pending}, failed {result.failed}"
    )


@app.command("verify")
def verify(
    ctx: typer.Context, ref: str, note: Annotated[str, typer.Option(help="How the identity was confirmed.")]
) -> None:
    """Mark the identity as confirmed another way, and start the work."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "requests.manage")
        result = actions.verify_manually(rt, ref, principal.actor, note)
    st.console.print(f"{ref}: {result.state}")


@app.command("complete")
def complete(ctx: typer.Context, ref: str, note: Annotated[str | None, typer.Option()] = None) -> None:
    """Complete a request whose work is done, and send the answer."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "requests.manage")
        answers.complete(rt, ref, principal.actor, note=note)
    st.console.print(f"{ref}: completed")


@app.command("refuse")
def refuse(ctx: typer.Context, ref: str, reasons: Annotated[str, typer.Option(help="Sent to the subject.")]) -> None:
    """Refuse with reasons (Art. 12(4)); the letter names the right to complain and to go to court."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "requests.manage")
        actions.refuse(rt, ref, principal.actor, reasons)
    st.console.print(f"{ref}: refused")


@app.command("extend")
def extend(
    ctx: typer.Context,
    ref: str,
    months: Annotated[int, typer.Option(min=1, max=2)],
    reason: Annotated[str, typer.Option(help="Sent to the subject.")],
) -> None:
    """Extend by one or two months (Art. 12(3)), with the notice to the subject."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "requests.manage")
        actions.extend(rt, ref, principal.actor, months=months, reason=reason)
    st.console.print(f"{ref}: extended")


@app.command("assess")
def assess(
    ctx: typer.Context,
    ref: str,
    keep: Annotated[
        list[str] | None,
        typer.Option(help="CATEGORY=GROUND:UNTIL:REASON, e.g. contact.email=legal_claims:2028-01-01:'A dispute'."),
    ] = None,
    erase_rest: Annotated[bool, typer.Option(help="Erase every category not kept (what the law keeps stays).")] = False,
) -> None:
    """Art. 17(3): decide what an erasure waiting for assessment keeps; without options, list what to decide."""
    from datetime import date

    from custos.errors import InvalidInput, Problem
    from custos.requests import assessment

    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, assessment.PERMISSION)
        with rt.work(principal.actor) as work:
            items = assessment.items(work, cases.load(work.session, ref))
        if not keep and not erase_rest:
            table = Table("category", "grounds", "kept by law", title=f"{ref}: {len(items)} categories to decide")
            for item in items:
                law = f"{', '.join(item.legal['laws'])} until {item.legal['until'] or '-'}" if item.legal else ""
                table.add_row(item.category, ", ".join(item.grounds), law)
            st.console.print(table)
            return
        chosen: dict[str, assessment.Decision] = {}
        for given in keep or []:
            category, _, rest = given.partition("=")
            ground, _, rest = rest.partition(":")
            until, _, reason = rest.partition(":")
            try:
                day = date.fromisoformat(until) if until else None
            except ValueError:
                raise InvalidInput(
                    "--keep needs CATEGORY=GROUND:UNTIL:REASON", [Problem("keep", f"{until!r} is not a date")]
                ) from None
            chosen[category] = assessment.Decision(category, "keep", ground or None, reason or None, day)
        decisions = [chosen.get(item.category) or assessment.proposal(item) for item in items]
        decisions += [d for c, d in chosen.items() if c not in {item.category for item in items}]
        result = actions.assess(rt, ref, principal.actor, decisions)
    st.console.print(f"{ref}: assessed; {result.state}")
