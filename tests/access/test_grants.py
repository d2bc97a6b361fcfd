"""Scopes and the permission check itself: a grant names a system, an environment, Custos itself, or all."""

from __future__ import annotations

import pytest

from custos.access.permissions import BUILTIN_ROLES, PERSONAL_DATA, scope_covers
from custos.access.principal import HeldGrant, Principal, authorise
from custos.actor import Actor
from custos.errors import PermissionDenied, SecondFactorRequired
from custos.runtime import Runtime


def _principal(role: str, scope: str, *, via: str = "cli", second_factor: bool = True) -> Principal:
    grant = HeldGrant(1, role, scope, BUILTIN_ROLES[role].permissions, None, None)
    actor = Actor(kind="cli", id=1, label="cli:staff:1")
    return Principal(staff_id=1, actor=actor, via=via, grants=(grant,), second_factor=second_factor)  # type: ignore[arg-type]


def test_system_owners_act_in_their_own_systems_only(runtime: Runtime) -> None:
    owner = _principal("system_owner", "crm")
    assert authorise(owner, "systems.tasks", "crm", runtime.policy)
    with pytest.raises(PermissionDenied, match=r"systems\.tasks"):
        authorise(owner, "systems.tasks", "finance", runtime.policy)
    # An environment covers every system the policy places in it, but not Custos's own data.
    production = _principal("system_owner", "production")
    assert authorise(production, "systems.tasks", "finance", runtime.policy)
    assert scope_covers("*", "custos", runtime.policy)
    assert not scope_covers("production", "custos", runtime.policy)


def test_password_only_sessions_get_nothing(runtime: Runtime) -> None:
    with pytest.raises(SecondFactorRequired):
        authorise(_principal("dpo", "*", via="session", second_factor=False), "register.read", "custos", runtime.policy)


def test_separation_of_duties_in_the_built_in_roles() -> None:
    assert not BUILTIN_ROLES["account_admin"].permissions & PERSONAL_DATA
    assert not BUILTIN_ROLES["auditor"].permissions & PERSONAL_DATA
    assert BUILTIN_ROLES["support_agent"].permissions & PERSONAL_DATA == {"requests.intake"}
    assert "staff.manage" not in BUILTIN_ROLES["privacy_officer"].permissions
