"""`custos incidents open|show|list|update|decide|notify|document|letters|exception|customer`.

Reading needs `incidents.read`, everything else `incidents.manage`, for the acting staff member (`--as EMAIL`).
There is no delete command: Art. 33(5) asks for a record of every breach, so an incident is closed, never removed.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from custos.cli.context import state
from custos.cli.identity import require
from custos.incidents import notification, service, subjects
from custos.incidents.schemas import (
    CustomerNotified,
    DecisionCreate,
    IncidentCreate,
    IncidentPublic,
    IncidentUpdate,
    LettersSend,
    NotificationCreate,
    SubjectExceptionCreate,
)
from custos.jurisdiction import Jurisdiction
from custos.mail import mailer_for

app = typer.Typer(help="Personal data breaches: the register, the 72-hour clock, notifications.", no_args_is_help=True)

# Art. 33(1): the 72 hours run from the instant of awareness, so a time typed without an offset is read on the
# organisation's clock (policy organisation.timezone), never as UTC; a time the clock skips or shows twice is
# refused (custos.jurisdiction.Jurisdiction.parse_time).
_TIME_HELP = "YYYY-MM-DD HH:MM on the organisation's clock, or with an offset (2026-11-02T09:30+01:00)"
_TIME_FIELDS = ("aware_at", "occurred_at")


def _time(where: Jurisdiction, value: str | None, option: str) -> datetime | None:
    return where.parse_time(value, location=option) if value is not None else None


@app.command("open")
def open_(
    ctx: typer.Context,
    summary: Annotated[str, typer.Option(help="What happened.")],
    reported_by: Annotated[str, typer.Option(help="Who reported it (name or role).")],
    kind: Annotated[list[str], typer.Option(help="confidentiality, integrity or availability (repeatable).")],
    aware_at: Annotated[str | None, typer.Option(help=f"When we became aware; {_TIME_HELP}.")] = None,
    occurred_at: Annotated[str | None, typer.Option(help=f"When it happened; {_TIME_HELP}.")] = None,
    system: Annotated[list[str] | None, typer.Option(help="System id from the policy (repeatable).")] = None,
    data: Annotated[list[str] | None, typer.Option(help="Data category id (repeatable).")] = None,
    subjects_: Annotated[list[str] | None, typer.Option("--subjects", help="Subject category id (repeatable).")] = None,
    organisation: Annotated[list[int] | None, typer.Option(help="Register organisation in scope (repeatable).")] = None,
    risk: Annotated[str | None, typer.Option(help="none, risk or high.")] = None,
    reasoning: Annotated[str | None, typer.Option(help="Why that risk.")] = None,
    role: Annotated[str, typer.Option(help="controller or processor.")] = "controller",
    customer: Annotated[list[int] | None, typer.Option(help="As processor: affected customer (repeatable).")] = None,
    nis2: Annotated[bool, typer.Option(help="Also follow the NIS2 reporting track.")] = False,
) -> None:
    """Record a new breach; the 72-hour clock starts at --aware-at (default now)."""
    st = state(ctx)
    with st.runtime() as rt:
        where = rt.policy.jurisdiction
        values: dict[str, Any] = {
            "summary": summary,
            "reported_by": reported_by,
            "kinds": kind,
            "aware_at": _time(where, aware_at, "--aware-at"),
            "occurred_at": _time(where, occurred_at, "--occurred-at"),
            "systems": system or [],
            "data_categories": data or [],
            "subject_categories": subjects_ or [],
            "organisation_ids": organisation or [],
            "risk": risk,
            "risk_reasoning": reasoning,
            "role": role,
            "customer_ids": customer or [],
            "nis2": nis2,
        }
        body = IncidentCreate.model_validate(values)
        principal = require(ctx, rt, "incidents.manage")
        with rt.work(principal.actor) as work:
            incident = service.open_incident(work, body)
    st.console.print(f"Opened incident {incident.id}")
    _show(st.console, incident, where)


@app.command()
def show(ctx: typer.Context, incident_id: int) -> None:
    """One incident with its deadline, notifications, customers and timeline."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "incidents.read")
        with rt.work(principal.actor) as work:
            incident = service.get_incident(work, incident_id)
    _show(st.console, incident, rt.policy.jurisdiction)


@app.command("list")
def list_(
    ctx: typer.Context,
    state_: Annotated[str | None, typer.Option("--state", help="open or closed; default all.")] = None,
) -> None:
    """Every incident, newest first, with the time left to notify the authority."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "incidents.read")
        with rt.work(principal.actor) as work:
            rows = service.list_incidents(work, state=state_)
    where = rt.policy.jurisdiction
    table = Table(
        "id", "state", "risk", "aware", "due", "left (h)", "notified", "summary", title=f"{len(rows)} incidents"
    )
    for row in rows:
        left = "—" if row.authority_notified or row.decision else f"{row.remaining_hours:g}"
        table.add_row(
            str(row.id),
            row.state,
            row.risk or "?",
            where.format_time(row.aware_at),
            where.format_time(row.deadline),
            left,
            "yes" if row.authority_notified else (row.decision or "no"),
            escape(row.summary[:60]),
        )
    st.console.print(table)


@app.command()
def update(
    ctx: typer.Context,
    incident_id: int,
    field: Annotated[
        list[str] | None, typer.Option("--set", help='FIELD=VALUE; lists as JSON, e.g. systems=["crm"].')
    ] = None,
    note: Annotated[str | None, typer.Option(help="Why, or what was learnt (a timeline entry).")] = None,
) -> None:
    """Change facts as they become known (each change is a timeline entry)."""
    st = state(ctx)
    values: dict[str, Any] = {"note": note}
    for item in field or []:
        name, _, raw = item.partition("=")
        try:
            values[name.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            values[name.strip()] = raw
    with st.runtime() as rt:
        where = rt.policy.jurisdiction
        for name in _TIME_FIELDS:  # typed times are read on the organisation's clock, as in `open`
            if isinstance(values.get(name), str):
                values[name] = where.parse_time(values[name], location=f"--set {name}")
        body = IncidentUpdate.model_validate(values)
        principal = require(ctx, rt, "incidents.manage")
        with rt.work(principal.actor) as work:
            incident = service.update_incident(work, incident_id, body)
    _show(st.console, incident, where)


@app.command()
def decide(
    ctx: typer.Context,
    incident_id: int,
    reasoning: Annotated[str, typer.Option(help="Art. 33(5): why.")],
    notify: Annotated[bool, typer.Option("--notify/--not-notify", help="Notify the authority, or not.")] = True,
) -> None:
    """Decide whether the authority is notified; not notifying needs the risk assessed as none."""
    st = state(ctx)
    body = DecisionCreate(decision="notify" if notify else "not_notify", reasoning=reasoning)
    with st.runtime() as rt:
        principal = require(ctx, rt, "incidents.manage")
        with rt.work(principal.actor) as work:
            incident = service.decide(work, incident_id, body)
    st.console.print(f"Incident {incident.id}: decision {incident.decision}")


@app.command()
def notify(
    ctx: typer.Context,
    incident_id: int,
    reference: Annotated[str | None, typer.Option(help="The authority's case number.")] = None,
    sent_at: Annotated[str | None, typer.Option(help=f"When it was sent; {_TIME_HELP}.")] = None,
    phase: Annotated[str, typer.Option(help="initial or supplement (csirt: early_warning, notification, final).")] = (
        "initial"
    ),
    recipient: Annotated[str, typer.Option(help="authority, or csirt on the NIS2 track.")] = "authority",
    late_reason: Annotated[str | None, typer.Option(help="Art. 33(1): why later than 72 hours.")] = None,
) -> None:
    """Record a notification sent to the authority; a late one needs --late-reason."""
    st = state(ctx)
    with st.runtime() as rt:
        where = rt.policy.jurisdiction
        body = NotificationCreate.model_validate(
            {
                "reference": reference,
                "sent_at": _time(where, sent_at, "--sent-at"),
                "phase": phase,
                "recipient": recipient,
                "late_reason": late_reason,
            }
        )
        principal = require(ctx, rt, "incidents.manage")
        with rt.work(principal.actor) as work:
            sent = service.record_notification(work, incident_id, body)
    late = " (late)" if sent.late else ""
    st.console.print(
        f"Recorded {sent.phase} notification to the {sent.recipient}{late} sent {where.format_time(sent.sent_at)}"
    )


@app.command()
def document(
    ctx: typer.Context,
    incident_id: int,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file (.html or .json).")] = None,
    audience: Annotated[str, typer.Option(help="authority, or controller (our customers, as processor).")] = (
        "authority"
    ),
) -> None:
    """The Art. 33(3) notification document, as JSON (default) or printable HTML (-o FILE.html)."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "incidents.read")
        with rt.work(principal.actor) as work:
            doc = service.document(work, incident_id, audience=audience)
    if output is not None and output.suffix == ".html":
        output.write_text(notification.render_html(doc), encoding="utf-8")
    elif output is not None:
        output.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    else:
        st.console.print_json(json.dumps(doc, ensure_ascii=False))
        return
    st.console.print(f"Wrote {output}")


@app.command()
def count(
    ctx: typer.Context,
    incident_id: int,
    apply: Annotated[bool, typer.Option(help="Write the counts as the approximate numbers.")] = False,
) -> None:
    """Count the people and register records in the incident's scope."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "incidents.manage")
        with rt.work(principal.actor) as work:
            counted = service.count_scope(work, incident_id, apply=apply)
    st.console.print(f"{counted.subjects} people, {counted.records} register records in scope")


@app.command()
def letters(
    ctx: typer.Context,
    incident_id: int,
    language: Annotated[str | None, typer.Option(help="en or sv; default the installation's language.")] = None,
) -> None:
    """Art. 34: write to every affected person (high risk only) over SMTP; each send is recorded."""
    st = state(ctx)
    body = LettersSend.model_validate({"language": language})
    with st.runtime() as rt:
        principal = require(ctx, rt, "incidents.manage")
        mailer = mailer_for(rt.settings, str(rt.policy.organisation.contacts.privacy))
        counts = subjects.send_letters(rt, principal.actor, incident_id, mailer, body.language or rt.settings.language)
    st.console.print(", ".join(f"{state}: {n}" for state, n in counts.items()) or "nobody in scope")


@app.command()
def exception(
    ctx: typer.Context,
    incident_id: int,
    kind: Annotated[str, typer.Option(help="encrypted, risk_removed or disproportionate_effort.")],
    reasoning: Annotated[str, typer.Option(help="Why the exception applies.")],
    public_notice: Annotated[str | None, typer.Option(help="For disproportionate effort: the public notice.")] = None,
) -> None:
    """Art. 34(3): record why the subjects are not written to."""
    st = state(ctx)
    body = SubjectExceptionCreate.model_validate(
        {"exception": kind, "reasoning": reasoning, "public_notice": public_notice}
    )
    with st.runtime() as rt:
        principal = require(ctx, rt, "incidents.manage")
        with rt.work(principal.actor) as work:
            service.record_subject_exception(work, incident_id, body)
    st.console.print(f"Incident {incident_id}: exception {kind} recorded")


@app.command()
def customer(
    ctx: typer.Context,
    incident_id: int,
    organisation_id: int,
    channel: Annotated[str, typer.Option(help="email or other.")] = "other",
    reference: Annotated[str | None, typer.Option(help="Ticket or message id.")] = None,
) -> None:
    """Art. 33(2): record that an affected customer (controller) has been told."""
    st = state(ctx)
    body = CustomerNotified(
        organisation_id=organisation_id, channel=cast(Literal["email", "other"], channel), reference=reference
    )
    with st.runtime() as rt:
        principal = require(ctx, rt, "incidents.manage")
        with rt.work(principal.actor) as work:
            service.record_customer_notified(work, incident_id, body)
    st.console.print(f"Incident {incident_id}: customer {organisation_id} notified")


def _show(console: Console, incident: IncidentPublic, where: Jurisdiction) -> None:
    """Times on the organisation's clock with their offset (`2026-11-02 10:30 +01:00`), the instant unambiguous."""
    console.print(f"[bold]Incident {incident.id}[/] · {incident.state} · {incident.role} · risk {incident.risk or '?'}")
    console.print(escape(incident.summary))
    console.print(f"aware: {where.format_time(incident.aware_at)} · due: {where.format_time(incident.deadline)}")
    if not incident.authority_notified and incident.decision is None:
        console.print(f"left to notify the authority: {incident.remaining_hours:g} h")
    facts = [
        ("kinds", ", ".join(incident.kinds)),
        ("systems", ", ".join(incident.systems)),
        ("data", ", ".join(incident.data_categories)),
        ("subjects", ", ".join(incident.subject_categories)),
        ("approx. subjects", incident.approx_subjects),
        ("approx. records", incident.approx_records),
        ("decision", incident.decision),
    ]
    for label, value in facts:
        if value not in (None, ""):
            console.print(f"{label}: {escape(str(value))}")
    for n in incident.notifications:
        console.print(
            f"notification {n.id}: {n.recipient} {n.phase} {where.format_time(n.sent_at)}{' late' if n.late else ''}"
        )
    for c in incident.customers:
        console.print(f"customer {c.organisation_id} {escape(c.organisation_name)}: {c.state}")
    for e in incident.timeline:
        console.print(f"  {where.format_time(e.at)} {e.actor} {e.kind}" + (f" — {escape(e.note)}" if e.note else ""))
