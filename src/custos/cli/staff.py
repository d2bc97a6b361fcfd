"""`custos staff add|list|grant|revoke|disable|enable|unlock|review` and `custos roles list|add`.

All need `staff.manage` for the acting member (`--as EMAIL`); each change is audited as `cli:staff:<id>`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from custos.access import grants as grant_rules
from custos.access import staff as service
from custos.access.principal import Principal
from custos.access.review import access_review
from custos.cli import tokens as tokens_cli
from custos.cli.context import CliState, state
from custos.cli.identity import require
from custos.runtime import Runtime

app = typer.Typer(help="Staff accounts, grants and the access review.", no_args_is_help=True)
roles_app = typer.Typer(help="Roles: the built-in ones and custom roles made of permissions.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="staff")
    root.add_typer(roles_app, name="roles")
    root.add_typer(tokens_cli.app, name="tokens")


@contextmanager
def managing(ctx: typer.Context) -> Iterator[tuple[CliState, Runtime, Principal, Session]]:
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "staff.manage")
        with rt.db.transaction() as session:
            yield st, rt, principal, session


@app.command()
def add(
    ctx: typer.Context,
    email: Annotated[str, typer.Option(help="Work email; it is the login name.")],
    name: Annotated[str, typer.Option(help="Full name.")],
) -> None:
    """Add a staff member with a one-time password (printed once) and no grants yet."""
    with managing(ctx) as (st, rt, principal, session):
        new = service.add_staff(session, rt.clock, principal.actor, email=email, name=name)
        staff_id = new.staff.id
    st.console.print(f"Added staff member {staff_id}: {new.staff.email}")
    st.console.print(f"one-time password: {new.password}  (shown once; it must be changed at first login)")


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """Every staff member with their live grants."""
    with managing(ctx) as (st, rt, _, session):
        table = Table("id", "email", "name", "status", "totp", "grants")
        for member in service.list_staff(session):
            held = grant_rules.grants_of(session, member.id, now=rt.clock.now())
            table.add_row(
                str(member.id),
                member.email,
                member.name,
                member.status,
                "yes" if member.totp_enabled_at else "no",
                ", ".join(f"{g.role}@{g.scope} (#{g.id})" for g in held),
            )
    st.console.print(table)


@app.command()
def grant(
    ctx: typer.Context,
    email: str,
    role: str,
    scope: Annotated[str, typer.Option(help='"*", "custos" (the register), or a policy system or environment.')],
    expires: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Last day of the grant (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Grant ROLE to the staff member with EMAIL, limited to a scope."""
    expires_at = expires.replace(tzinfo=UTC) if expires else None
    with managing(ctx) as (st, rt, principal, session):
        member = service.find_staff(session, email)
        made = service.grant(
            session,
            rt.clock,
            principal.actor,
            rt.policy,
            staff_id=member.id,
            role=role,
            scope=scope,
            expires_at=expires_at,
            by=principal.staff_id,
        )
        grant_id = made.id
    st.console.print(f"Granted {role} for {scope!r} to {email} (grant {grant_id}).")


@app.command()
def revoke(ctx: typer.Context, grant_id: int) -> None:
    """Revoke a grant (its id is in `custos staff list`); it stays on record."""
    with managing(ctx) as (st, rt, principal, session):
        ended = service.revoke(session, rt.clock, principal.actor, grant_id, by=principal.staff_id)
        role, scope = ended.role, ended.scope
    st.console.print(f"Revoked grant {grant_id} ({role} for {scope!r}).")


def _set_status(ctx: typer.Context, email: str, status: str) -> None:
    with managing(ctx) as (st, rt, principal, session):
        member = service.find_staff(session, email)
        service.update_staff(session, rt.clock, principal.actor, member.id, by=principal.staff_id, status=status)
    st.console.print(f"{email} is now {status}.")


@app.command()
def disable(ctx: typer.Context, email: str) -> None:
    """Disable an account: its sessions end at once and its API tokens stop working."""
    _set_status(ctx, email, "disabled")


@app.command()
def enable(ctx: typer.Context, email: str) -> None:
    _set_status(ctx, email, "active")


@app.command()
def unlock(ctx: typer.Context, email: str) -> None:
    """Lift a lockout after repeated failed logins."""
    with managing(ctx) as (st, rt, principal, session):
        service.unlock_staff(session, rt.clock, principal.actor, service.find_staff(session, email).id)
    st.console.print(f"{email} is unlocked.")


@app.command()
def review(ctx: typer.Context) -> None:
    """The access review: every live grant, unused for how long, and what needs a look."""
    with managing(ctx) as (st, rt, _, session):
        rows = access_review(session, rt.clock)
    table = Table("grant", "staff", "role", "scope", "granted", "by", "expires", "unused days", "findings")
    for row in rows:
        table.add_row(
            str(row.grant_id),
            row.staff_email,
            row.role,
            row.scope,
            row.granted_at.date().isoformat(),
            row.granted_by or "",
            row.expires_at.date().isoformat() if row.expires_at else "",
            str(row.unused_days),
            "; ".join(row.findings),
        )
    st.console.print(table)
    flagged = sum(1 for row in rows if row.findings)
    st.console.print(f"{len(rows)} live grants, {flagged} with findings.")


@roles_app.command("list")
def list_roles(ctx: typer.Context) -> None:
    """Every role and its permissions."""
    with managing(ctx) as (st, _, _, session):
        rows = grant_rules.all_roles(session)
    table = Table("role", "built-in", "permissions", "description")
    for name, description, permissions, built_in in rows:
        table.add_row(name, "yes" if built_in else "no", ", ".join(sorted(permissions)), description)
    st.console.print(table)


@roles_app.command("add")
def add_role(
    ctx: typer.Context,
    name: str,
    permission: Annotated[list[str], typer.Option("--permission", help="A permission name (repeatable).")],
    description: Annotated[str, typer.Option(help="What the role is for.")] = "",
) -> None:
    """Define a custom role from permissions."""
    with managing(ctx) as (st, rt, principal, session):
        role = service.define_role(
            session,
            rt.clock,
            principal.actor,
            name=name,
            description=description,
            permissions=permission,
            by=principal.staff_id,
        )
        permissions = role.permissions
    st.console.print(f"Defined role {name}: {', '.join(permissions)}")
