"""docs/access-control.md says what the code does: every permission, exactly the personal-data ones (the set
four eyes applies to), every built-in role, and how long a proposal waits."""

from __future__ import annotations

import re
from pathlib import Path

from custos.access.delegation import PENDING_FOR
from custos.access.permissions import BUILTIN_ROLES, PERMISSIONS, PERSONAL_DATA

DOC = (Path(__file__).resolve().parents[2] / "docs" / "access-control.md").read_text("utf-8")


def _named(text: str) -> set[str]:
    """Permission names in backticks, with the doc's shorthand `area.a|b` expanded."""
    names: set[str] = set()
    for area, verbs in re.findall(r"`([a-z]+)\.([a-z|]+)`", text):
        names.update(f"{area}.{verb}" for verb in verbs.split("|"))
    return names


def _bullet(starting: str) -> str:
    found = re.search(rf"^- {re.escape(starting)}(.*?)(?=^\S|^- |\Z)", DOC, re.M | re.S)
    assert found is not None, f"no bullet starting {starting!r} in docs/access-control.md"
    return found.group(1)


def test_every_permission_is_documented_and_nothing_else() -> None:
    assert _named(_bullet("Permissions:")) == set(PERMISSIONS)


def test_the_personal_data_permissions_are_documented_exactly() -> None:
    assert _named(_bullet("Personal-data permissions")) == PERSONAL_DATA


def test_every_built_in_role_and_the_pending_period_are_documented() -> None:
    roles = _bullet("Built-in roles")
    assert {name for name in BUILTIN_ROLES if f"`{name}`" not in roles} == set()
    assert f"**{PENDING_FOR.days} days**" in DOC
