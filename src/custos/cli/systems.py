"""`custos systems scan|check|export|erase`: the data map of a connected SQL system, for engineers.

`scan` and `check` read only the schema (and a bounded sample of values for `scan`). `export` and `erase` act on
a person in the system and need `requests.manage` in the system's scope; both are audited (counts only).
URLs are never printed with their password.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import custos.systems.connectors  # noqa: F401  # registers the connectors' kinds before a policy is read here
from custos.cli.context import state
from custos.cli.identity import require
from custos.errors import InvalidInput
from custos.policy import load_policy
from custos.policy.models import Policy
from custos.systems.by_mapping import erase_by_mapping, export_by_mapping
from custos.systems.check import check_mapping
from custos.systems.connect import SystemEngines, mask_url
from custos.systems.keys import SubjectKeys
from custos.systems.mapping import DatasetMapping, load_located, load_mapping
from custos.systems.scan import DEFAULT_SAMPLE, render_yaml, scan_system

app = typer.Typer(help="Connected SQL systems: propose and check dataset mappings, export or erase a person.",
                  no_args_is_help=True)  # fmt: skip

URL_ENV = "CUSTOS_SYSTEM_URL"
UrlOption = Annotated[
    str,
    typer.Option(
        "--url",
        envvar=URL_ENV,
        show_envvar=True,
        help=f"SQLAlchemy URL of the system's database (or {URL_ENV}), e.g. postgresql://user:pw@host/db, "
        "mysql+pymysql://root@127.0.0.1:3306/crm, sqlite:///crm.db.",
        show_default=False,
    ),
]
MappingArg = Annotated[Path, typer.Argument(help="The system's dataset mapping (YAML).", show_default=False)]
Emails = Annotated[list[str] | None, typer.Option("--email", help="The person's email address (repeatable).")]
Phones = Annotated[list[str] | None, typer.Option("--phone", help="The person's phone number (repeatable).")]
Externals = Annotated[
    list[str] | None, typer.Option("--external-id", help="The person's id in the system (repeatable).")
]


def _policy(ctx: typer.Context) -> Policy | None:
    path = state(ctx).settings.policy_path
    return load_policy(path) if path.exists() else None


def _keys(
    emails: list[str] | None, phones: list[str] | None, externals: list[str] | None, policy: Policy | None = None
) -> SubjectKeys:
    region = policy.jurisdiction.phone_region if policy is not None else None
    keys = SubjectKeys.of(emails=emails or [], phones=phones or [], external_ids=externals or [], phone_region=region)
    if not keys:
        raise InvalidInput("say who: give --email, --phone or --external-id")
    return keys


@app.command()
def scan(
    ctx: typer.Context,
    url: Annotated[
        str,
        typer.Argument(envvar=URL_ENV, show_envvar=True, help=f"The database URL (or {URL_ENV}).", show_default=False),
    ],
    system: Annotated[str, typer.Option(help="The system's id in the policy.")] = "crm",
    schema: Annotated[str | None, typer.Option(help="Database schema to scan (default: the default one).")] = None,
    sample: Annotated[int, typer.Option(help="Rows sampled per table to recognise values.")] = DEFAULT_SAMPLE,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the proposal here (default: stdout).")] = None,
) -> None:
    """Reflect the schema and propose a dataset mapping; every guess is marked `# proposed:` with its reason."""
    st = state(ctx)
    policy = _policy(ctx)
    with SystemEngines() as engines, Progress(
        TextColumn("[bold]scanning[/] {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=st.errors, transient=True,
    ) as progress:  # fmt: skip
        task = progress.add_task(mask_url(url), total=None)
        result = scan_system(
            engines.engine(url),
            system=system,
            schema=schema,
            sample=sample,
            phone_region=policy.jurisdiction.phone_region if policy is not None else None,
            on_start=lambda total: progress.update(task, total=total),
            on_table=lambda name: progress.update(task, advance=1, description=name),
        )
    text = render_yaml(result, mask_url(url))
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        mapped = len(result.tables)
        st.console.print(f"proposed a mapping of {mapped} table(s) to {escape(str(out))}; read it and confirm it")


@app.command()
def check(ctx: typer.Context, mapping_path: MappingArg, url: UrlOption) -> None:
    """Compare a mapping with the live schema and the policy; every mismatch with its line. Exit 1 on errors."""
    st = state(ctx)
    located = load_located(mapping_path)
    with SystemEngines() as engines:
        findings = check_mapping(engines.engine(url), located, _policy(ctx))
    for finding in findings:
        colour = "red" if finding.severity == "error" else "yellow"
        st.console.print(f"[{colour}]{finding.severity}:[/] {escape(str(finding.problem))}")
    errors = sum(1 for finding in findings if finding.severity == "error")
    warnings = len(findings) - errors
    st.console.print(f"{mapping_path}: {errors} error(s), {warnings} warning(s) against {mask_url(url)}")
    if errors:
        raise typer.Exit(1)


def _load(ctx: typer.Context, path: Path) -> DatasetMapping:
    return load_mapping(path, _policy(ctx))


@app.command()
def export(
    ctx: typer.Context,
    mapping_path: MappingArg,
    url: UrlOption,
    email: Emails = None,
    phone: Phones = None,
    external_id: Externals = None,
) -> None:
    """Print every row of the person in the system as JSON, per table, with each column's data category."""
    st = state(ctx)
    mapping = _load(ctx, mapping_path)
    keys = _keys(email, phone, external_id, _policy(ctx))
    with st.runtime() as runtime:
        principal = require(ctx, runtime, "requests.manage", mapping.system)
        tables = export_by_mapping(runtime, principal.actor, mapping, url, keys)
    document = {"system": mapping.system, "tables": [asdict(t) for t in tables]}
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2))


@app.command()
def erase(
    ctx: typer.Context,
    mapping_path: MappingArg,
    url: UrlOption,
    email: Emails = None,
    phone: Phones = None,
    external_id: Externals = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase the person in the system by the mapping's rules (one transaction) and print the counts per table."""
    st = state(ctx)
    mapping = _load(ctx, mapping_path)
    keys = _keys(email, phone, external_id, _policy(ctx))
    with st.runtime() as runtime:
        principal = require(ctx, runtime, "requests.manage", mapping.system)
        if not yes:
            typer.confirm(f"Erase this person in {mapping.system} ({mask_url(url)})?", abort=True)
        outcome = erase_by_mapping(runtime, principal.actor, mapping, url, keys)
    table = Table("table", "deleted", "anonymised", "kept", "kept until", "why kept",
                  title=f"{mapping.system}: {outcome.changed} row(s) changed")  # fmt: skip
    for name, result in outcome.tables.items():
        table.add_row(name, str(result.deleted), str(result.anonymised), str(result.kept),
                      str(result.kept_until or ""), escape(result.reason or ""))  # fmt: skip
    st.console.print(table if outcome.tables else f"{mapping.system}: the person has no rows there; nothing changed")
