"""`custos keys rotate`."""

from __future__ import annotations

import typer
from rich.progress import Progress

from custos.cli.context import state
from custos.register.rekey import rotate_keys

app = typer.Typer(help="Encryption keys of the register.", no_args_is_help=True)


@app.command()
def rotate(ctx: typer.Context) -> None:
    """Re-encrypt every personal field under a new key, then retire the old one. Safe to re-run."""
    st = state(ctx)
    with st.runtime() as runtime, Progress(console=st.console, transient=True) as bar:
        task = bar.add_task("re-encrypting", total=None)
        result = rotate_keys(
            runtime.db,
            st.settings.key_file,
            lambda done, total: bar.update(task, completed=done, total=total),
        )
    st.console.print(
        f"Key {result.new_key_id} is now active: re-encrypted {result.people} people and "
        f"{result.identities} identities; retired key(s) {', '.join(map(str, result.retired_keys)) or 'none'}."
    )
