"""`custos keys rotate`: needs `keys.rotate`; the rotation is audited with the re-encryption (Art. 32(1)(a))."""

from __future__ import annotations

import typer
from rich.progress import Progress

from custos.cli.context import state
from custos.cli.identity import require
from custos.register.rekey import rotate_keys

app = typer.Typer(help="Encryption keys of the register.", no_args_is_help=True)


@app.command()
def rotate(ctx: typer.Context) -> None:
    """Re-encrypt every personal field under a new key, then retire the old one. Safe to re-run."""
    st = state(ctx)
    with st.runtime() as runtime:
        principal = require(ctx, runtime, "keys.rotate")
        with Progress(console=st.console, transient=True) as bar:
            task = bar.add_task("re-encrypting", total=None)
            result = rotate_keys(
                runtime,
                principal.actor,
                st.settings.key_file,
                lambda done, total: bar.update(task, completed=done, total=total),
            )
    st.console.print(
        f"Key {result.new_key_id} is now active: re-encrypted {result.people} people and "
        f"{result.identities} identities; retired key(s) {', '.join(map(str, result.retired_keys)) or 'none'}."
    )
