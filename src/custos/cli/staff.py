"""`custos staff add|list|grant|grants|approve|reject|revoke|disable|enable|unlock|review`, `custos roles list|add`.

All need `staff.manage` for the acting member (`--as EMAIL`); each change is audited as `cli:staff:<id>`.
A grant that reaches personal data, or goes beyond what the acting member holds, is proposed (pending) and
gives nothing until a second member approves it. `--as` names a member without proving it, so `approve`
asks for that member's password and authenticator code: the second pair of eyes must be a person.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from custos.access import grants as grant_rules
from custos.access import staff as service
from custos.access.login import confirm_identity
from custos.access.models import Grant
from custos.access.principal import Principal
from custos.access.review import access_review
from custos.cli import tokens as tokens_cli
from custos.cli.context import CliState, state
from custos.cli.identity import require
from custos.errors import PermissionDenied
from custos.work import Work

app = typer.Typer(help="Staff accounts, grants and the access review.", no_args_is_help=True)
roles_app = typer.Typer(help="Roles: the built-in ones and custom roles made of permissions.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="staff")
    root.add_typer(roles_app, name="roles")
    root.add_typer(tokens_cli.app, name="tokens")


@contextmanager
def managing(ctx: typer.Context) -> Iterator[tuple[CliState, Principal, Work]]:
    """The acting member, once `staff.manage` is checked, and a unit of work audited as them."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "staff.manage")
        with rt.work(principal.actor) as work:
            yield st, principal, work


@app.command()
def add(
    ctx: typer.Context,
    email: Annotated[str, typer.Option(help="Work email; it is the login name.")],
    name: Annotated[str, typer.Option(help="Full name.")],
) -> None:
    """Add a staff member with a one-time password (printed once) and no grants yet."""
    with managing(ctx) as (st, _, work):
        new = service.add_staff(work, email=email, name=name)
        staff_id = new.staff.id
    st.console.print(f"Added staff member {staff_id}: {new.staff.email}")
    st.console.print(f"one-time password: {new.password}  (shown once; it must be changed at first login)")


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """Every staff member with their live grants."""
    with managing(ctx) as (st, _, work):
        table = Table("id", "email", "name", "status", "totp", "grants")
        for member in service.list_staff(work):
            held = grant_rules.grants_of(work, member.id)
            waiting = grant_rules.pending_grants(work, staff_id=member.id)
            table.add_row(
                str(member.id),
                member.email,
                member.name,
                member.status,
                "yes" if member.totp_enabled_at else "no",
                ", ".join(
                    [f"{g.role}@{g.scope} (#{g.id})" for g in held]
                    + [f"{g.role}@{g.scope} (#{g.id}, pending)" for g in waiting]
                ),
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
    """Grant ROLE to the staff member with EMAIL, limited to a scope (or propose it, when it needs approval)."""
    expires_at = expires.replace(tzinfo=UTC) if expires else None
    with managing(ctx) as (st, principal, work):
        member = service.find_staff(work, email)
        made = service.grant(
            work,
            principal,
            staff_id=member.id,
            role=role,
            scope=scope,
            expires_at=expires_at,
        )
        grant_id, pending_until = made.id, made.pending_until
    if pending_until is None:
        st.console.print(f"Granted {role} for {scope!r} to {email} (grant {grant_id}).")
    else:
        st.console.print(
            f"Proposed {role} for {scope!r} to {email} (grant {grant_id}): waiting for approval. It gives nothing "
            f"until a second member who holds {role} for {scope!r} approves it (`custos staff approve {grant_id}`) "
            f"by {pending_until:%Y-%m-%d %H:%M} UTC."
        )


@app.command()
def grants(
    ctx: typer.Context,
    email: Annotated[str | None, typer.Argument(help="One member's grants (default: everyone's).")] = None,
    pending: Annotated[bool, typer.Option("--pending", help="Only proposals waiting for approval.")] = False,
    ended: Annotated[bool, typer.Option("--all", help="Also ended, rejected and lapsed grants.")] = False,
) -> None:
    """Grants with their state: active, pending (waiting for a second member), lapsed, rejected, revoked, expired."""
    with managing(ctx) as (st, _, work):
        now = work.clock.now()
        staff_id = service.find_staff(work, email).id if email else None
        rows: list[Grant]
        if pending:
            rows = grant_rules.pending_grants(work, staff_id=staff_id)
        else:
            members = [staff_id] if staff_id is not None else [m.id for m in service.list_staff(work)]
            rows = [g for m in members for g in grant_rules.grants_of(work, m, include_ended=ended)]
            if not ended:
                rows += grant_rules.pending_grants(work, staff_id=staff_id)
        emails = {m.id: m.email for m in service.list_staff(work)}
        table = Table(
            "grant", "staff", "role", "scope", "state", "granted", "by", "expires", "approve by", "decided by"
        )
        for g in sorted(rows, key=lambda g: g.id):
            table.add_row(
                str(g.id),
                emails.get(g.staff_id, ""),
                g.role,
                g.scope,
                grant_rules.grant_state(g, now),
                g.granted_at.date().isoformat(),
                emails.get(g.granted_by_id, "") if g.granted_by_id is not None else "",
                g.expires_at.date().isoformat() if g.expires_at else "",
                f"{g.pending_until:%Y-%m-%d %H:%M}" if g.status == "pending" and g.pending_until else "",
                emails.get(g.decided_by_id, "") if g.decided_by_id is not None else "",
            )
    st.console.print(table)
    st.console.print(f"{len(rows)} grants.")


@app.command()
def approve(
    ctx: typer.Context,
    grant_id: int,
    password: Annotated[str, typer.Option(prompt="Your password", hide_input=True, help="Your own password.")],
    code: Annotated[str, typer.Option(prompt="Code from your authenticator app", help="Your TOTP code.")],
) -> None:
    """Approve a proposed grant as its second pair of eyes; asks for your password and authenticator code."""
    st = state(ctx)
    with st.runtime() as rt:
        principal = require(ctx, rt, "staff.manage")
        approver = replace(principal, second_factor=True)  # only once the password and code are checked below
        with rt.work(principal.actor) as work:
            grant_rules.check_approval(work, grant_id, by=approver)
        # Counted towards the lockout even when it fails, so it commits on its own.
        with rt.work(principal.actor) as work:
            proved = confirm_identity(work, principal.staff_id, password=password, code=code)
        if not proved:
            raise PermissionDenied(
                "The password or the authenticator code is wrong (or no authenticator is set up for this "
                "account: set one up in the admin UI first); the grant was not approved."
            )
        with rt.work(approver.actor) as work:
            decided = service.approve(work, approver, grant_id)
            role, scope, staff_id = decided.role, decided.scope, decided.staff_id
            grantee = service.get_staff(work, staff_id).email
    st.console.print(f"Approved grant {grant_id}: {grantee} now holds {role} for {scope!r}.")


@app.command()
def reject(ctx: typer.Context, grant_id: int) -> None:
    """Reject a proposed grant (or withdraw your own proposal); it stays on record as rejected."""
    with managing(ctx) as (st, principal, work):
        decided = service.reject(work, principal, grant_id)
        role, scope = decided.role, decided.scope
    st.console.print(f"Rejected grant {grant_id} ({role} for {scope!r}).")


@app.command()
def revoke(ctx: typer.Context, grant_id: int) -> None:
    """Revoke a grant or withdraw a proposal (its id is in `custos staff list`); it stays on record."""
    with managing(ctx) as (st, principal, work):
        ended = service.revoke(work, grant_id, by=principal.staff_id)
        role, scope = ended.role, ended.scope
    st.console.print(f"Revoked grant {grant_id} ({role} for {scope!r}).")


def _set_status(ctx: typer.Context, email: str, status: str) -> None:
    with managing(ctx) as (st, principal, work):
        member = service.find_staff(work, email)
        service.update_staff(work, member.id, by=principal.staff_id, status=status)
    st.console.print(f"{email} is now {status}.")


@app.command()
def disable(ctx: typer.Context, email: str) -> None:
    """Disable an account: its sessions end at once and its API tokens stop working."""
    _set_status(ctx, email, "disabled")


@app.command()
def enable(ctx: typer.Context, email: str) -> None:
    """Enable a disabled account again; its grants apply once more, and it logs in afresh."""
    _set_status(ctx, email, "active")


@app.command()
def unlock(ctx: typer.Context, email: str) -> None:
    """Lift a lockout after repeated failed logins."""
    with managing(ctx) as (st, _, work):
        service.unlock_staff(work, service.find_staff(work, email).id)
    st.console.print(f"{email} is unlocked.")


@app.command()
def review(ctx: typer.Context) -> None:
    """The access review: every live grant, unused for how long, and what needs a look."""
    with managing(ctx) as (st, _, work):
        rows = access_review(work)
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
    grants = "1 live grant" if len(rows) == 1 else f"{len(rows)} live grants"
    st.console.print(f"{grants}, {flagged} with findings.")


@roles_app.command("list")
def list_roles(ctx: typer.Context) -> None:
    """Every role and its permissions."""
    with managing(ctx) as (st, _, work):
        rows = grant_rules.all_roles(work)
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
    """Define a custom role from permissions you hold yourself."""
    with managing(ctx) as (st, principal, work):
        role = service.define_role(work, principal, name=name, description=description, permissions=permission)
        permissions = role.permissions
    st.console.print(f"Defined role {name}: {', '.join(permissions)}")
