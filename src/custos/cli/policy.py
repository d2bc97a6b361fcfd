"""`custos policy …`: check a policy file before it is used."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from custos.clock import Clock, FixedClock, SystemClock
from custos.errors import Problem
from custos.policy.check import check_policy
from custos.systems.policy_check import system_findings

app = typer.Typer(help="Check the privacy policy file.", no_args_is_help=True, add_completion=False)


@app.callback()
def _group() -> None:
    """Check the privacy policy file."""


@app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="The policy YAML file, e.g. examples/elastx/policy.yaml.")],
    at: Annotated[
        datetime | None,
        typer.Option("--at", formats=["%Y-%m-%d"], help="Check as on this date (YYYY-MM-DD), e.g. for review dates."),
    ] = None,
) -> None:
    """Validate FILE; list every problem with its line and a fix, and warn about doubtful settings."""
    console = Console(soft_wrap=True, highlight=False)
    clock: Clock = FixedClock(date(at.year, at.month, at.day)) if at is not None else SystemClock()
    report = check_policy(file, clock, checks=[system_findings])
    for problem in report.errors:
        _print(console, "error", problem, "red")
    for problem in report.warnings:
        _print(console, "warning", problem, "yellow")
    if report.errors:
        console.print(Text(f"{file}: {_count(report.errors, 'error')}; the policy cannot be used.", style="bold red"))
        raise typer.Exit(code=1)
    summary = f"{file}: valid" + (f", with {_count(report.warnings, 'warning')}" if report.warnings else "")
    console.print(Text(summary + ".", style="bold yellow" if report.warnings else "bold green"))


def _print(console: Console, label: str, problem: Problem, style: str) -> None:
    place = problem.location if problem.line is None else f"line {problem.line}: {problem.location}"
    console.print(Text(f"{label}: {place}: {problem.message}", style=style))
    if problem.hint:
        console.print(Text(f"    fix: {problem.hint}", style=style))


def _count(items: list[Problem], noun: str) -> str:
    return f"{len(items)} {noun}" + ("" if len(items) == 1 else "s")
