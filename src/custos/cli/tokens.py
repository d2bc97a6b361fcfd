"""`custos tokens create|list|revoke`: API tokens for integrations, owned by the acting staff member."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from custos.access import staff as staff_service
from custos.access import tokens as service
from custos.cli.context import state
from custos.cli.identity import require

app = typer.Typer(help="API tokens for integrations: shown once, limited, expiring, revocable.", no_args_is_help=True)


@app.command()
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="The integration that will use it.")],
    permission: Annotated[list[str], typer.Option("--permission", help="A permission it carries (repeatable).")],
    scope: Annotated[str, typer.Option(help='"*", "custos", or a policy system or environment.')],
    days: Annotated[int, typer.Option(min=1, max=366, help="Days until it expires.")] = 90,
) -> None:
    """Create a token with some of your own permissions; it is printed once and kept only as a digest."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "tokens.create")
        with rt.work(principal.actor) as work:
            new = service.issue(
                work,
                principal,
                name=name,
                permissions=permission,
                scope=scope,
                lifetime=timedelta(days=days),
            )
            token_id, expires = new.record.id, new.record.expires_at
    st.console.print(f"token {token_id}, expires {expires.date().isoformat()} (shown once):")
    st.console.print(new.token, soft_wrap=True)


@app.command("list")
def list_(
    ctx: typer.Context,
    staff: Annotated[str | None, typer.Option(help="Another member's tokens (needs staff.manage).")] = None,
) -> None:
    """Your tokens, or another member's."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "staff.manage" if staff else "tokens.create")
        with rt.work(principal.actor) as work:
            owner = staff_service.find_staff(work, staff).id if staff else principal.staff_id
            rows = service.tokens_of(work, owner)
    table = Table("id", "name", "prefix", "permissions", "scope", "expires", "last used", "revoked")
    for t in rows:
        table.add_row(
            str(t.id),
            t.name,
            t.prefix,
            ", ".join(t.permissions),
            t.scope,
            t.expires_at.date().isoformat(),
            t.last_used_at.isoformat(timespec="minutes") if t.last_used_at else "never",
            t.revoked_at.isoformat(timespec="minutes") if t.revoked_at else "",
        )
    st.console.print(table)


@app.command()
def revoke(
    ctx: typer.Context,
    token_id: int,
    any_owner: Annotated[
        bool, typer.Option("--any-owner", help="Revoke another member's token (staff.manage).")
    ] = False,
) -> None:
    """Revoke a token at once."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "staff.manage" if any_owner else "tokens.create")
        with rt.work(principal.actor) as work:
            service.withdraw(
                work,
                token_id,
                by=principal.staff_id,
                owner_id=None if any_owner else principal.staff_id,
            )
    st.console.print(f"Token {token_id} is revoked.")
