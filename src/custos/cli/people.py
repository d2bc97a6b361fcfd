"""`custos people add|show|find|list|reindex`: each needs a register permission of the acting staff member
(`--as EMAIL`), and each read or change of a person is audited by ref (Art. 5(2), 32)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from custos.casework import corrections
from custos.cli.context import state
from custos.cli.identity import require
from custos.register import name_index
from custos.register import people as service
from custos.register.lawful import settle_missing_dates
from custos.register.schemas import PersonCreate, PersonPublic, RelationshipCreate

app = typer.Typer(help="People in the personal-data register.", no_args_is_help=True)


@app.command()
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Full name.")],
    category: Annotated[str, typer.Option(help="Subject category from the policy, e.g. prospect.")],
    email: Annotated[list[str] | None, typer.Option(help="Email address (repeatable).")] = None,
    phone: Annotated[list[str] | None, typer.Option(help="Phone number (repeatable).")] = None,
    title: Annotated[str | None, typer.Option(help="Role or title.")] = None,
    activity: Annotated[str | None, typer.Option(help="Processing activity, if the category has several.")] = None,
    organisation_id: Annotated[int | None, typer.Option(help="Organisation the person represents.")] = None,
    source: Annotated[str | None, typer.Option(help="Where the data came from, e.g. 'Cloud fair 2025'.")] = None,
    started_on: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="When the relationship started (a prospect: met).")
    ] = None,
    last_interaction_on: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="The last contact; by default the start, else today."),
    ] = None,
) -> None:
    """Add a person with one relationship.

    A date the policy's retention rule counts from and that is left out is filled in from what is known, so
    the person always falls due (Art. 5(1)(e)): a prospect's last interaction is the day met, else today.
    """
    st = state(ctx)
    data = PersonCreate(
        name=name,
        title=title,
        emails=email or [],
        phones=phone or [],
        relationships=[
            RelationshipCreate(
                subject_category=category,
                activity=activity,
                organisation_id=organisation_id,
                source=source,
                started_on=_day(started_on),
                last_interaction_on=_day(last_interaction_on),
            )
        ],
    )
    with st.runtime() as rt:
        principal = require(ctx, rt, "register.write")
        with rt.work(principal.actor) as work:
            person = corrections.create_person(work, data)
    st.console.print(f"Added {person.ref}")
    _show(st.console, person)


@app.command()
def show(ctx: typer.Context, ref: str) -> None:
    """Everything the register holds about one person."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "register.read")
        with rt.work(principal.actor) as work:
            person = service.read_person(work, ref)
    _show(st.console, person)


@app.command()
def find(
    ctx: typer.Context,
    email: Annotated[str | None, typer.Option(help="Exact email address.")] = None,
    phone: Annotated[str | None, typer.Option(help="Exact phone number.")] = None,
) -> None:
    """Find a person by exact email or phone (through the blind index)."""
    st = state(ctx)
    if (email is None) == (phone is None):
        raise typer.BadParameter("give exactly one of --email or --phone")
    with st.runtime() as rt:
        principal = require(ctx, rt, "register.read")
        with rt.work(principal.actor) as work:
            if email is not None:
                person = service.look_up(work, "email", email)
            else:
                assert phone is not None
                person = service.look_up(work, "phone", phone)
    _show(st.console, person)


@app.command("list")
def list_(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """A page of people, with their subject categories."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "register.read")
        with rt.work(principal.actor) as work:
            rows, total = service.list_page(work, limit=limit, offset=offset)
    table = Table("ref", "name", "categories", title=f"{total} people")
    for row in rows:
        table.add_row(row.ref, row.name, ", ".join(row.subject_categories))
    st.console.print(table)


@app.command("settle-dates")
def settle_dates(ctx: typer.Context) -> None:
    """Fill in the retention dates relationships written before Custos required them lack (from what is
    known: the day met, else the day recorded), so each falls due under its rule (Art. 5(1)(e))."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "register.write")
        with rt.work(principal.actor) as work:
            changed = settle_missing_dates(work)
    st.console.print(f"{changed} relationship(s) given the date their retention counts from")


@app.command()
def reindex(ctx: typer.Context) -> None:
    """Build the index that finds people by the words of their name (docs/people-search.md), from their
    encrypted names: once after upgrading to it, or to repair it. Every write keeps it in step afterwards."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "register.write")
        columns = (TextColumn("indexing names"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=st.errors, transient=True) as bar, rt.work(principal.actor) as work:
            task = bar.add_task("indexing", total=None)
            done = name_index.reindex(work, lambda n, total: bar.update(task, completed=n, total=total))
    st.console.print(f"Indexed the names of {done} people")


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _show(console: Console, person: PersonPublic) -> None:
    console.print(f"[bold]{person.name}[/]" + (f" — {person.title}" if person.title else ""))
    console.print(f"ref: {person.ref}")
    for email in person.emails:
        console.print(f"email: {email}")
    for phone in person.phones:
        console.print(f"phone: {phone}")
    # One block per relationship rather than a wide table, so nothing is cut or folded in a narrow terminal.
    for r in person.relationships:
        console.print(f"relationship {r.id}: {r.subject_category} · {r.activity} · {r.legal_basis}")
        facts = [
            ("organisation", r.organisation_name),
            ("started", r.started_on),
            ("ended", r.ended_on),
            ("last contact", r.last_interaction_on),
            ("source", r.source),
        ]
        for label, value in facts:
            if value:
                console.print(f"  {label}: {value}")
