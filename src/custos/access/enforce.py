"""The one permission check behind every HTTP route and CLI command that touches personal data."""

from __future__ import annotations

from custos import audit
from custos.access import grants
from custos.access.principal import Principal, authorise
from custos.errors import PermissionDenied
from custos.runtime import Runtime


def enforce(runtime: Runtime, principal: Principal, permission: str, scope: str) -> Principal:
    """Let `principal` through with `permission` in `scope`, recording which grant was used.

    A refusal is audited before it is raised (Art. 32(1)(d): repeated refusals are a signal worth seeing).
    """
    try:
        used = authorise(principal, permission, scope, runtime.policy)
    except PermissionDenied as exc:
        with runtime.db.transaction() as session:
            audit.record(
                session,
                runtime.clock,
                principal.actor,
                "access.denied",
                outcome="denied",
                details={"permission": permission, "scope": scope, "reason": exc.code},
            )
        raise
    with runtime.db.transaction() as session:
        grants.record_use(session, runtime.clock.now(), used)
    return principal
