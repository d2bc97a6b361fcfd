"""Entry point of the `custos` command."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from custos.cli import audit, demo, doctor, keys, people, policy, server
from custos.cli import imports as imports_cli
from custos.cli import incidents as incidents_cli
from custos.cli import mailings as mailings_cli
from custos.cli import records as records_cli
from custos.cli import requests as requests_cli
from custos.cli import retention as retention_cli
from custos.cli import staff as staff_cli
from custos.cli import system_tasks as system_tasks_cli
from custos.cli import systems as systems_cli
from custos.cli import worker as worker_cli
from custos.cli.context import CliState
from custos.cli.errors import report
from custos.cli.policy_render import add_render_command
from custos.errors import CustosError
from custos.settings import load_settings


class _Group(TyperGroup):
    """Turns domain errors from any subcommand into a clean message and exit code 1."""

    def invoke(self, ctx: Any) -> Any:  # typer vendors click; its Context type is private
        try:
            return super().invoke(ctx)
        except CustosError as exc:
            report(Console(stderr=True), exc)
            raise typer.Exit(1) from None


def build_cli() -> typer.Typer:
    app = typer.Typer(
        name="custos",
        cls=_Group,
        help="Custos: a privacy policy turned into software that keeps every promise in it.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def root(
        ctx: typer.Context,
        settings_file: Annotated[
            Path | None, typer.Option("--settings", help="TOML settings file (or CUSTOS_SETTINGS_FILE).")
        ] = None,
        database_url: Annotated[str | None, typer.Option(help="Overrides CUSTOS_DATABASE_URL.")] = None,
        policy_path: Annotated[Path | None, typer.Option("--policy", help="Overrides CUSTOS_POLICY_PATH.")] = None,
        act_as: Annotated[
            str | None,
            typer.Option(
                "--as",
                envvar="CUSTOS_ACTOR",
                help="Act as this staff member (email); their grants apply and the audit log names them. "
                "Embedded mode defaults to the first administrator.",
            ),
        ] = None,
    ) -> None:
        settings = load_settings(
            os.environ,
            settings_file,
            overrides={"database_url": database_url, "policy_path": policy_path},
        )
        ctx.obj = CliState(settings=settings, console=Console(), errors=Console(stderr=True))

    server.register(app)
    add_render_command(policy.app)
    app.add_typer(policy.app, name="policy")
    app.add_typer(people.app, name="people")
    app.add_typer(imports_cli.app, name="import")
    app.add_typer(demo.app, name="demo")
    app.add_typer(keys.app, name="keys")
    staff_cli.register(app)
    app.add_typer(audit.app, name="audit")
    app.add_typer(retention_cli.app, name="retention")
    app.add_typer(incidents_cli.app, name="incidents")
    app.add_typer(requests_cli.app, name="requests")
    app.add_typer(systems_cli.app, name="systems")
    app.add_typer(system_tasks_cli.app, name="system-tasks")
    app.add_typer(records_cli.app, name="records")
    app.add_typer(mailings_cli.app, name="mailings")
    worker_cli.register(app)
    doctor.register(app)
    return app


def main() -> None:
    build_cli()()
