"""`custos policy render`: the notice as a file, in either language and format."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from typer.testing import CliRunner

from custos.cli.context import CliState
from custos.cli.policy_render import add_render_command
from custos.settings import load_settings


def _policy_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _group() -> None:
        """Stands in for the `policy` sub-app."""

    add_render_command(app)
    add_render_command(app)  # a second call must not add a second command
    return app


def test_renders_markdown_in_swedish_from_a_file_argument(example_policy_path: Path) -> None:
    args = ["render", str(example_policy_path), "--format", "md", "--lang", "sv"]
    result = CliRunner().invoke(_policy_app(), args)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# Integritetspolicy – Elastx")
    assert "tio år" in result.output


def test_writes_a_standalone_html_page(tmp_path: Path, example_policy_path: Path) -> None:
    target = tmp_path / "notice.html"
    result = CliRunner().invoke(_policy_app(), ["render", str(example_policy_path), "--output", str(target)])
    assert result.exit_code == 0, result.output
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    assert '<html lang="en">' in html
    assert "<style>" in html  # a file on its own carries its stylesheet
    assert 'href="/privacy' not in html  # and no links into a site it is not on


def test_the_policy_and_language_default_to_the_settings(example_policy_path: Path) -> None:
    settings = load_settings({}, None, overrides={"policy_path": str(example_policy_path), "language": "sv"})
    state = CliState(settings=settings, console=Console(), errors=Console(stderr=True))
    result = CliRunner().invoke(_policy_app(), ["render", "--format", "md"], obj=state)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# Integritetspolicy – Elastx")


def test_an_earlier_version_renders_from_its_snapshot(archived_policy_path: Path) -> None:
    args = ["render", str(archived_policy_path), "--format", "md", "--version", "2023-10-03"]
    result = CliRunner().invoke(_policy_app(), args)
    assert result.exit_code == 0, result.output
    assert "Version of 2023-10-03" in result.output
    assert "at most five years after it stops being one" in result.output


def test_without_a_file_or_settings_it_says_what_is_missing() -> None:
    result = CliRunner().invoke(_policy_app(), ["render"])
    assert result.exit_code == 2
    assert "give the policy FILE to render" in result.output
