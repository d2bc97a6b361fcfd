"""`custos retention plan|sweep|sweeps|hold|tombstones …`: storage limitation (Art. 5(1)(e)) from the command line.

Reading the plan needs `retention.read`, sweeping and holds need `retention.run`, both for the acting staff
member (`--as EMAIL`). The plan names people by ref only: it lists relationships and dates, never contact
details, so it can be shared with whoever must check it.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import astuple, fields
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from custos.casework import holds as placing
from custos.cli.context import state
from custos.cli.identity import require
from custos.clock import today
from custos.errors import CustosError
from custos.retention import holds as holds_service
from custos.retention.history import recent_sweeps
from custos.retention.plan import PlanLine
from custos.retention.preview import preview_sweep, read_plan
from custos.retention.schemas import HoldCreate, SweepPublic
from custos.retention.sweep import BATCH, run_sweep
from custos.retention.sweep import Progress as SweepProgress
from custos.retention.systems_step import SystemSteps
from custos.retention.tombstones import get_tombstone, list_tombstones

app = typer.Typer(help="Retention: who is due for erasure, sweeps, and legal holds.", no_args_is_help=True)
hold_app = typer.Typer(help="Legal holds that stop erasure (Art. 17(3)(e)).", no_args_is_help=True)
tombstones_app = typer.Typer(help="Tombstones: the proof of each erasure, without personal data.", no_args_is_help=True)
app.add_typer(hold_app, name="hold")
app.add_typer(tombstones_app, name="tombstones")

_DATE = ["%Y-%m-%d"]


@app.command()
def plan(
    ctx: typer.Context,
    at: Annotated[
        datetime | None, typer.Option("--at", formats=_DATE, help="Plan as of this day (YYYY-MM-DD); default today.")
    ] = None,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="Also write every line of the plan to this CSV.")
    ] = None,
    limit: Annotated[int, typer.Option(min=0, help="Lines shown in the table (the CSV has all).")] = 50,
) -> None:
    """What would be erased on a day, when, and why (rule, anchor fact, due date)."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "retention.read")
        on = at.date() if at is not None else today(rt.clock)
        table = _plan_table(on)
        with rt.work(principal.actor) as work, _csv_writer(csv_path) as write:
            found = read_plan(work, on, limit=limit, each=write, details={"csv": csv_path is not None})
        for line in found.items:
            table.add_row(*_cells(line))
        shown = len(found.items)
        counts = {"erase": found.people_to_erase, "trim": found.people_to_trim, "held": found.people_held}
    st.console.print(table)
    st.console.print(
        f"as of {on}: [bold]{counts['erase']}[/] people to erase, [bold]{counts['trim']}[/] to trim "
        f"(only their due relationships), {counts['held']} held"
        + (f"; the table shows the first {limit} lines" if shown >= limit else "")
    )
    if csv_path is not None:
        st.console.print(f"plan written to {csv_path}")


@app.command()
def sweep(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what would be erased today.")] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask: erase what is due (for cron and scripts).")
    ] = False,
    batch: Annotated[int, typer.Option(min=1, max=5000, help="Tasks per transaction.")] = BATCH,
) -> None:
    """Erase everyone due today (finishing any interrupted sweep first), with a progress bar and a summary.

    It first says how many people it would erase or trim and asks before anything is erased (erasure cannot be
    undone, Art. 17); `--yes` skips the question, `--dry-run` stops after the count.
    """
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "retention.read" if dry_run else "retention.run")
        with rt.work(principal.actor) as work:
            preview = preview_sweep(work, limit=0)
        said = (
            f"as of {preview.as_of}: {preview.erase} people would be erased, {preview.trim} trimmed, "
            f"{preview.held} held"
            + (f"; {preview.unfinished} tasks of an unfinished sweep are finished first" if preview.unfinished else "")
        )
        if dry_run:
            st.console.print(f"dry run {said}. Nothing was changed.")
            return
        if not yes:
            st.console.print(f"The sweep {said}.")
            if not _confirmed(f"Erase and trim these {preview.people} people now?"):
                raise CustosError("nothing was erased: answer y to sweep, or pass --yes (e.g. from cron)")
        with _progress(st.errors) as advance:
            reports = run_sweep(
                rt,
                principal.actor,
                trigger="cli",
                batch=batch,
                progress=advance,
                systems=SystemSteps(rt),
            )
    st.console.print(_summary(reports))


def _confirmed(question: str) -> bool:
    try:
        return bool(typer.confirm(question, default=False))
    except typer.Abort:  # no answer (end of input, or Ctrl-C): nothing is erased
        return False


@app.command()
def sweeps(ctx: typer.Context, limit: Annotated[int, typer.Option(min=1, max=500)] = 20) -> None:
    """Recent sweeps with their counts and tombstones."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "retention.read")
        with rt.work(principal.actor) as work:
            rows = recent_sweeps(work, limit)
    table = Table("id", "as of", "state", "trigger", "planned", "erased", "trimmed", "skipped", "held", "tombstones")
    for s in rows:
        table.add_row(
            str(s.id), str(s.as_of), s.state, s.trigger, *(str(n) for n in (s.planned, s.erased, s.trimmed)),
            str(s.skipped), str(s.held), str(s.tombstones),
        )  # fmt: skip
    st.console.print(table)


@hold_app.command("add")
def hold_add(
    ctx: typer.Context,
    reason: Annotated[str, typer.Option(help="Why: the claim, case or dispute the data is kept for.")],
    person: Annotated[str | None, typer.Option(help="The person's ref.")] = None,
    organisation: Annotated[
        int | None, typer.Option(help="An organisation id: holds everyone related through it.")
    ] = None,
    from_: Annotated[datetime | None, typer.Option("--from", formats=_DATE, help="First day; default today.")] = None,
    until: Annotated[datetime | None, typer.Option(formats=_DATE, help="Last day; open until released.")] = None,
) -> None:
    """Stop erasure of a person, or of everyone related through an organisation, while the hold is active."""
    st = state(ctx)
    data = HoldCreate(
        person_ref=person,
        organisation_id=organisation,
        reason=reason,
        starts_on=from_.date() if from_ else None,
        ends_on=until.date() if until else None,
    )
    with st.runtime() as rt:
        principal = require(ctx, rt, "retention.run")
        with rt.work(principal.actor) as work:
            hold = placing.add_hold(work, data)
    st.console.print(
        f"legal hold {hold.id} placed, from {hold.starts_on} "
        + (f"to {hold.ends_on}" if hold.ends_on else "until released")
    )


@hold_app.command("release")
def hold_release(ctx: typer.Context, hold_id: int) -> None:
    """End a legal hold now; the next sweep erases what it kept, if due."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "retention.run")
        with rt.work(principal.actor) as work:
            hold = holds_service.release_hold(work, hold_id)
    st.console.print(f"legal hold {hold.id} released")


@hold_app.command("list")
def hold_list(
    ctx: typer.Context, all_: Annotated[bool, typer.Option("--all", help="Include released and ended holds.")] = False
) -> None:
    """Legal holds, active ones only unless --all."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "retention.read")
        with rt.work(principal.actor) as work:
            rows = holds_service.list_holds(work, include_inactive=all_)
    table = Table("id", "on", "reason", "from", "until", "by", "active")
    for h in rows:
        org = f"organisation {h.organisation_id} ({h.organisation_name})"
        target = f"person {h.person_ref}" if h.person_ref else org
        until_text = "released" if h.released_at else str(h.ends_on or "—")
        active = "yes" if h.active else "no"
        table.add_row(str(h.id), escape(target), escape(h.reason), str(h.starts_on), until_text, h.created_by, active)
    st.console.print(table)


@tombstones_app.command("list")
def tombstones_list(
    ctx: typer.Context,
    sweep_id: Annotated[int | None, typer.Option("--sweep", help="Only this sweep's tombstones.")] = None,
    ref: Annotated[str | None, typer.Option("--ref", help="Only this person's (by ref): was it erased?")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """Tombstones, newest first: when, which sweep, what state, counts per system. Audited."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "retention.read")
        with rt.work(principal.actor) as work:
            page = list_tombstones(work, sweep_id=sweep_id, subject_ref=ref, limit=limit, offset=offset)
    table = Table("id", "erased at", "as of", "sweep", "person (ref)", "action", "state", "kept until", "counts")
    shown = rt.policy.jurisdiction.format_time  # the organisation's clock, with the offset
    for t in page.items:
        table.add_row(
            str(t.id), shown(t.erased_at), str(t.as_of), str(t.sweep_id or "—"), t.subject_ref,
            t.action, t.state, str(t.retained_until or "—"), escape(_counts_text(t.counts)),
        )  # fmt: skip
    st.console.print(table)
    last = page.offset + len(page.items)
    st.console.print(f"{page.offset + 1 if page.items else 0}–{last} of {page.total} tombstones")


@tombstones_app.command("show")
def tombstones_show(ctx: typer.Context, tombstone_id: int) -> None:
    """One tombstone: the rule and due date of each relationship removed, and the counts per system."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "retention.read")
        with rt.work(principal.actor) as work:
            t = get_tombstone(work, tombstone_id)
    st.console.print(
        f"tombstone {t.id}: person {t.subject_ref} {t.action} on {rt.policy.jurisdiction.format_time(t.erased_at)} "
        f"(as of {t.as_of}), {t.state}"
        + (f" until {t.retained_until}" if t.retained_until else "")
        + (f", sweep {t.sweep_id}" if t.sweep_id else "")
    )
    entries = Table("category", "activity", "rule", "anchor", "due", "kept", title="Relationships removed")
    for e in t.entries:
        kept = ", ".join(e.get("retained_categories") or [])
        until = e.get("retained_until")
        entries.add_row(
            str(e.get("subject_category", "")), str(e.get("activity", "")), escape(str(e.get("rule", ""))),
            str(e.get("anchor", "")), str(e.get("due_on") or ""), f"{kept} until {until}" if kept else "",
        )  # fmt: skip
    st.console.print(entries)
    counts = Table("system", "counts", title="Removed per system")
    for system, found in t.counts.items():
        counts.add_row(system, escape(_counts_text({system: found}).split(": ", 1)[-1]))
    st.console.print(counts)


def _counts_text(counts: dict[str, object]) -> str:
    """`register: person 1, identities 2; crm: status done, customers deleted 1` — counts flattened, per system."""

    def flat(value: object, prefix: str = "") -> list[str]:
        if isinstance(value, dict):
            return [part for key, inner in value.items() for part in flat(inner, f"{prefix}{key} ")]
        return [f"{prefix}{value}"]

    return "; ".join(f"{system}: {', '.join(flat(found))}" for system, found in counts.items())


def _plan_table(on: date) -> Table:
    table = Table(title=f"Retention plan as of {on}")
    for column in ("person", "action", "category", "activity", "rule", "anchor", "anchor date", "due", "kept by law"):
        table.add_column(column)
    return table


def _cells(line: PlanLine) -> list[str]:
    kept = f"{', '.join(line.retained_categories)} until {line.retained_until}" if line.retained_categories else ""
    return [
        line.person_ref,
        line.action,
        line.subject_category,
        line.activity,
        line.rule,
        line.anchor,
        str(line.anchor_date or ""),
        str(line.due_on or ""),
        kept,
    ]


@contextmanager
def _csv_writer(path: Path | None) -> Iterator[Callable[[PlanLine], None]]:
    if path is None:
        yield lambda _line: None
        return
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([f.name for f in fields(PlanLine)])

        def write(line: PlanLine) -> None:
            writer.writerow(["; ".join(v) if isinstance(v, tuple) else ("" if v is None else v) for v in astuple(line)])

        yield write


@contextmanager
def _progress(console: Console) -> Iterator[SweepProgress]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("planning", total=None)

        def advance(phase: str, done: int, total: int) -> None:
            bar.update(task, description=phase, completed=done, total=total or None)

        yield advance


def _summary(reports: list[SweepPublic]) -> Table:
    table = Table(
        "sweep",
        "as of",
        "planned",
        "erased",
        "trimmed",
        "skipped",
        "held",
        "legal retention ended",
        title="Retention sweep",
    )
    for r in reports:
        table.add_row(
            str(r.id), str(r.as_of), *(str(n) for n in (r.planned, r.erased, r.trimmed, r.skipped, r.held, r.released))
        )
    return table
