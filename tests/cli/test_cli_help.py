"""`custos --help` is current: every command and group, at every depth, has a one-line help text, and the
top-level help lists every group, so a newcomer can find each task from the help alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer
from typer.testing import CliRunner

from custos.cli.main import build_cli


def _walk(command: Any, path: str = "custos") -> Iterator[tuple[str, Any]]:
    """Every command under `command` (typer vendors its own click, so groups are known by their commands)."""
    yield path, command
    if hasattr(command, "commands"):
        for name, sub in sorted(command.commands.items()):
            yield from _walk(sub, f"{path} {name}")


def test_every_command_has_a_one_line_help() -> None:
    root = typer.main.get_command(build_cli())
    commands = list(_walk(root))
    assert len(commands) > 30  # the walk reached the sub-commands
    without = [path for path, command in commands if not (command.help or command.short_help or "").strip()]
    assert without == []


def test_the_top_level_help_lists_every_group() -> None:
    root = typer.main.get_command(build_cli())
    shown = CliRunner().invoke(build_cli(), ["--help"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    missing = [name for name in root.commands if name not in shown.output]
    assert missing == []
