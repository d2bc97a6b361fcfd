"""What a member may hand on: no escalation, and who may approve a grant that needs four eyes.

Separation of duties (GDPR Art. 32(1)(b), 32(4); Art. 25(2) least privilege): nobody makes anyone able to do
more than they can do themselves. A member holds a permission "for a scope, until a time" when one of their
grants in force carries it, is limited to a scope that contains the one asked for, and lasts at least as long.
These are pure rules over `HeldGrant`s; `custos.access.grants` applies them when a grant is made or decided.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from custos.access.permissions import reaches_personal_data, scope_covers
from custos.access.principal import HeldGrant, Principal
from custos.policy import Policy

# A proposal waits this long for its second pair of eyes, then lapses. A week lets an approver away for a few
# days decide; a proposal nobody looked at for longer is stale (the need may be gone, the person may have
# moved on) and is made again rather than approved out of its context (Art. 5(2), 32(1)(d)).
PENDING_FOR = timedelta(days=7)


def _lasts(held_until: datetime | None, until: datetime | None) -> bool:
    """Whether a grant ending at `held_until` (None: no end) lasts at least until `until` (None: forever)."""
    return held_until is None or (until is not None and held_until >= until)


def shortfall(
    held: Sequence[HeldGrant], permissions: Iterable[str], scope: str, until: datetime | None, policy: Policy
) -> list[str]:
    """The permissions among `permissions` that `held` does not carry within `scope` until `until`.

    An expiring grant cannot be handed on without its end: someone who holds a role until Friday can give it
    until Friday at the latest, or a short grant would be turned into a permanent one (via a second account).
    """
    return sorted(
        p
        for p in set(permissions)
        if not any(
            p in g.permissions and scope_covers(g.scope, scope, policy) and _lasts(g.expires_at, until) for g in held
        )
    )


def principal_shortfall(
    principal: Principal, permissions: Iterable[str], scope: str, until: datetime | None, policy: Policy
) -> list[str]:
    """`shortfall` for whoever acts; an API token hands on at most what it carries, within its own scope."""
    wanted = set(permissions)
    missing = set(shortfall(principal.grants, wanted, scope, until, policy))
    if principal.via == "token":
        if principal.token_scope is None or not scope_covers(principal.token_scope, scope, policy):
            return sorted(wanted)
        missing |= wanted - principal.token_permissions
    return sorted(missing)


def needs_four_eyes(permissions: frozenset[str], missing: Sequence[str]) -> str | None:
    """Why a new grant must wait for a second member's approval, or None when it takes effect at once.

    "personal_data": the role reads, changes, exports or erases personal data, so one person alone never
    opens it to anyone (the issue-13 walk-around: an account administrator giving a second account `dpo`).
    "beyond_granter": the granter does not hold all of it within that scope for as long.
    """
    if reaches_personal_data(permissions):
        return "personal_data"
    return "beyond_granter" if missing else None
