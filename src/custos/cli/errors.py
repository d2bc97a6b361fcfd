"""Expected errors become a clear message and exit code 1, never a traceback."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from custos.errors import CustosError


def report(console: Console, exc: CustosError, limit: int = 50) -> None:
    console.print(f"[bold red]error:[/] {escape(exc.message)}")
    for problem in exc.problems[:limit]:
        console.print(f"  [red]•[/] {escape(str(problem))}")
    if len(exc.problems) > limit:
        console.print(f"  … and {len(exc.problems) - limit} more")
