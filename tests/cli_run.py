"""Running the `custos` command in a test, against the test's own installation (the `cli_env` fixture)."""

from __future__ import annotations

from typer.testing import CliRunner

from custos.cli.main import build_cli


def run_cli(env: dict[str, str], *args: str, given: str | None = None) -> tuple[int, str]:
    """The exit code and what was printed; `given` is typed at any prompt. Wide, so tables do not wrap."""
    result = CliRunner().invoke(build_cli(), list(args), env={"COLUMNS": "250", **env}, input=given)
    return result.exit_code, result.output
