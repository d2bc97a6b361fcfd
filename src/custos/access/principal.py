"""Who is calling and what they hold, resolved once per request or command, and the one permission check.

No grant, no access (Art. 25(2), 32(4)); the check is the same for the HTTP API, API tokens and the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from custos.access.permissions import scope_covers
from custos.actor import Actor
from custos.errors import PasswordChangeRequired, PermissionDenied, SecondFactorRequired
from custos.policy import Policy

Via = Literal["session", "token", "cli"]


@dataclass(frozen=True)
class HeldGrant:
    grant_id: int
    role: str
    scope: str
    permissions: frozenset[str]
    expires_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class Principal:
    staff_id: int
    actor: Actor
    via: Via
    grants: tuple[HeldGrant, ...]
    second_factor: bool = False
    must_change_password: bool = False
    session_id: int | None = None
    csrf_token: str | None = None
    token_id: int | None = None
    token_permissions: frozenset[str] = frozenset()
    token_scope: str | None = None

    def permissions(self) -> set[str]:
        held = {p for g in self.grants for p in g.permissions}
        return held & self.token_permissions if self.via == "token" else held


def authorise(principal: Principal, permission: str, scope: str, policy: Policy) -> list[HeldGrant]:
    """The grants that allow `permission` in `scope`; raises when there are none."""
    if principal.via == "session":
        # A password-only session may change its password and enrol TOTP, nothing else (Art. 32(1)).
        if principal.must_change_password:
            raise PasswordChangeRequired()
        if not principal.second_factor:
            raise SecondFactorRequired()
    if principal.via == "token":
        # A token is limited to what it was created for, and to what its owner still holds.
        if permission == "tokens.create":
            raise PermissionDenied("API tokens cannot create tokens; log in to create one.")
        if permission not in principal.token_permissions or not (
            principal.token_scope and scope_covers(principal.token_scope, scope, policy)
        ):
            raise PermissionDenied(f"This token does not carry {permission} for scope {scope!r}.")
    matching = [g for g in principal.grants if permission in g.permissions and scope_covers(g.scope, scope, policy)]
    if not matching:
        raise PermissionDenied(f"You do not have permission to do this: it needs {permission} for scope {scope!r}.")
    return matching


def holds(grants: Sequence[HeldGrant], permission: str, scope: str, policy: Policy) -> bool:
    return any(permission in g.permissions and scope_covers(g.scope, scope, policy) for g in grants)


def staff_actor(staff_id: int | None, *, ip: str | None = None, user_agent: str | None = None) -> Actor:
    label = f"staff:{staff_id}" if staff_id is not None else "staff:unknown"
    return Actor(kind="staff", id=staff_id, label=label, ip=ip, user_agent=user_agent)
