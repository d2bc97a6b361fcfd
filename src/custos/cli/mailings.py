"""`custos mailings select|selections|count|export|create|send|status`: lawful selections and mailings.

Counting a selection needs `register.read`; saving one, exporting it (names and addresses) and sending need
`mailings.send`. Every selection leaves out restricted people, objectors and, where the policy says so, contacts
of former customers; `count` shows how many for each reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from custos.cli.context import state
from custos.cli.identity import require
from custos.errors import InvalidInput, Problem
from custos.mail import mailer_for
from custos.mailings import export as exporting
from custos.mailings import selection as selections
from custos.mailings import sending
from custos.mailings.criteria import Criteria

app = typer.Typer(help="Selections and mailings: who may be contacted, and sending to them.", no_args_is_help=True)

REASON_TEXT = {
    "restricted": "restricted (Art. 18)",
    "suppressed": "objected to direct marketing (Art. 21(3))",
    "purpose": "their activity does not allow this use (Art. 5(1)(b))",
    "not_customer": "organisation no longer a customer",
    "role_ended": "the person's own role ended",
    "no_email": "no email address",
}


def _counts_table(counts: selections.SelectionCounts) -> Table:
    table = Table("", "people", "why")
    table.add_row("included", str(counts.included), "")
    for reason, n in counts.excluded.items():
        table.add_row(f"excluded: {reason}", str(n), REASON_TEXT[reason])
    return table


@app.command("select")
def select_(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="A name for the selection.")],
    subject: Annotated[list[str] | None, typer.Option(help="Subject category id (repeatable).")] = None,
    role: Annotated[
        list[str] | None, typer.Option(help="customer, supplier or partner: a current role (repeatable).")
    ] = None,
    activity: Annotated[list[str] | None, typer.Option(help="Activity id (repeatable).")] = None,
    use: Annotated[Literal["mailings", "selections"], typer.Option(help="What it is for.")] = "mailings",
) -> None:
    """Save a selection and show who it includes and excludes."""
    st = state(ctx)
    wanted = {"subject_categories": subject or [], "organisation_roles": role or [], "activities": activity or []}
    try:
        criteria = Criteria.model_validate({**wanted, "use": use})
    except ValidationError as exc:
        problems = [Problem(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
        raise InvalidInput("the selection's criteria are not valid", problems) from None
    with st.runtime() as rt:
        principal = require(ctx, rt, "mailings.send")
        with rt.work(principal.actor) as work:
            selection_id = selections.create(work, name, criteria).id
            counts = selections.count_saved(work, selection_id)
    st.console.print(f"Selection {selection_id} saved.")
    st.console.print(_counts_table(counts))


def selections_(ctx: typer.Context) -> None:
    """The saved selections."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "register.read")
        with rt.work(principal.actor) as work:
            rows = [(s.id, s.name, s.criteria) for s in selections.all_selections(work.session)]
    table = Table("id", "name", "criteria")
    for sid, name, criteria in rows:
        table.add_row(str(sid), name, str(criteria))
    st.console.print(table)


app.command("selections")(selections_)


@app.command()
def count(ctx: typer.Context, selection_id: Annotated[int, typer.Argument(help="The selection's id.")]) -> None:
    """How many people a saved selection includes today, and how many it leaves out for each reason."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "register.read")
        with rt.work(principal.actor) as work:
            counts = selections.count_saved(work, selection_id)
    st.console.print(_counts_table(counts))


@app.command()
def export(
    ctx: typer.Context,
    selection_id: Annotated[int, typer.Argument(help="The selection's id.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The CSV file to write.")],
) -> None:
    """Write the selection's people (ref, name, email) as CSV for an external mailing tool; audited."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "mailings.send")
        with rt.work(principal.actor) as work, output.open("w", encoding="utf-8", newline="") as out:
            written = exporting.export_csv(work, selection_id, out)
    st.console.print(f"{written} people written to {output}.")


@app.command()
def create(
    ctx: typer.Context,
    selection_id: Annotated[int, typer.Option("--selection", help="The selection to send to.")],
    subject: Annotated[str, typer.Option(help="The subject line.")],
    body_file: Annotated[Path, typer.Option("--body", help="A UTF-8 text file with the message.")],
    language: Annotated[Literal["en", "sv"], typer.Option(help="Language of the message and its footer.")] = "en",
) -> None:
    """Compose a mailing (a draft until sent)."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "mailings.send")
        with rt.work(principal.actor) as work:
            mailing_id = sending.create(work, selection_id, subject, body_file.read_text(encoding="utf-8"), language).id
    st.console.print(f"Mailing {mailing_id} created; send it with `custos mailings send {mailing_id}`.")


@app.command()
def send(ctx: typer.Context, mailing_id: Annotated[int, typer.Argument(help="The mailing's id.")]) -> None:
    """Send a mailing here, with a progress bar (the admin's Send leaves it to the worker); run it again after an
    interruption to finish without duplicates."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "mailings.send")
        mailer = mailer_for(rt.settings, rt.policy)
        columns = (
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("sent {task.fields[sent]} · skipped {task.fields[skipped]} · failed {task.fields[failed]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=st.errors, transient=False) as bar:
            task = bar.add_task(f"mailing {mailing_id}", total=None, sent=0, skipped=0, failed=0)

            def show(p: sending.Progress) -> None:
                bar.update(
                    task,
                    total=p.total,
                    completed=p.finished,
                    sent=p.done["sent"],
                    skipped=p.done["skipped"],
                    failed=p.done["failed"],
                )

            final = sending.send(rt, mailer, principal.actor, mailing_id, rt.settings.base_url, show)
    st.console.print(_status_line(final))


def _status_line(p: sending.Progress) -> str:
    d = p.done
    text = f"{d['sent']} sent, {d['skipped']} skipped, {d['failed']} failed of {p.total}"
    if d["unknown"]:
        text += f"; {d['unknown']} were being sent when an earlier run stopped and were not sent again"
    return text + "."


@app.command()
def status(ctx: typer.Context, mailing_id: Annotated[int, typer.Argument(help="The mailing's id.")]) -> None:
    """How far a mailing has got."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "register.read")
        with rt.work(principal.actor) as work:
            state_name = sending.get(work.session, mailing_id).status
            p = sending.progress(work.session, mailing_id)
    st.console.print(f"mailing {mailing_id}: {state_name}; " + _status_line(p))
