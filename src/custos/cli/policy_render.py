"""`custos policy render`: the privacy notice generated from a policy file, as HTML or Markdown.

The same functions build `/privacy`, so a rendered file says exactly what the site says.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from custos.cli.context import CliState, state
from custos.notice import Page, load_wording, notice_document, render_notice_html, render_notice_markdown
from custos.policy import load_policy


class Format(StrEnum):
    HTML = "html"
    MD = "md"


class Lang(StrEnum):
    EN = "en"
    SV = "sv"


def add_render_command(app: typer.Typer) -> None:
    """Add `render` to the `policy` sub-app; adding it twice is harmless (build_cli may run many times)."""
    if any(command.name == "render" for command in app.registered_commands):
        return
    app.command("render")(render)


def render(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Argument(
            help="The policy YAML file; default: the policy_path setting.", metavar="FILE", show_default=False
        ),
    ] = None,
    output_format: Annotated[Format, typer.Option("--format", help="html or md.")] = Format.HTML,
    lang: Annotated[
        Lang | None, typer.Option("--lang", help="en or sv; default: the language setting.", show_default=False)
    ] = None,
    version: Annotated[
        dt.datetime | None,
        typer.Option("--version", formats=["%Y-%m-%d"], help="Render this earlier version (YYYY-MM-DD)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of standard output.")
    ] = None,
) -> None:
    """Render the privacy notice of FILE as a standalone HTML page or as Markdown."""
    settings = _cli_state(ctx)
    path = file or (settings.settings.policy_path if settings else None)
    if path is None:
        raise typer.BadParameter("give the policy FILE to render", param_hint="FILE")
    policy = load_policy(path)
    # The notice speaks the languages the policy publishes in (organisation.languages), and no other.
    published = policy.jurisdiction.languages
    if lang is not None and lang.value not in published:
        raise typer.BadParameter(
            f"the policy publishes its notice in {', '.join(published)}, not {lang.value}", param_hint="--lang"
        )
    preferred = settings.settings.language if settings else published[0]
    language = lang.value if lang else (preferred if preferred in published else published[0])
    words = load_wording(language)
    day = version.date() if version else None
    document = notice_document(policy, words, day)
    if output_format is Format.MD:
        text = render_notice_markdown(document, words)
    else:
        current = policy.current_version if day is not None and day != policy.current_version else None
        text = render_notice_html(document, words, Page(standalone=True), current=current)
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}", err=True)


def _cli_state(ctx: typer.Context) -> CliState | None:
    # The root callback sets the state; when the `policy` app runs on its own (or FILE is all it needs),
    # there is none, and the command still works from its arguments.
    return state(ctx) if isinstance(ctx.find_root().obj, CliState) else None
