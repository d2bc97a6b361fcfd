"""What every command gets from the top-level callback: settings read once, and a way to open Custos."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import typer
from rich.console import Console

from custos.runtime import Runtime, open_runtime
from custos.settings import Settings


@dataclass
class CliState:
    settings: Settings
    console: Console
    errors: Console

    @contextmanager
    def runtime(self) -> Iterator[Runtime]:
        runtime = open_runtime(self.settings)
        try:
            yield runtime
        finally:
            runtime.close()


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState)
    return obj
