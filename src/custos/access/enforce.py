"""The one permission check behind every HTTP route and CLI command that touches personal data."""

from __future__ import annotations

from custos.access import grants
from custos.access.principal import Principal, authorise
from custos.audit import Action
from custos.errors import PermissionDenied
from custos.runtime import Runtime


def enforce(runtime: Runtime, principal: Principal, permission: str, scope: str) -> Principal:
    """Let `principal` through with `permission` in `scope`, recording which grant was used.

    A refusal is audited before it is raised (Art. 32(1)(d): repeated refusals are a signal worth seeing), in
    a unit of its own: the request or command it refuses rolls back, and the refusal must stay on record.
    Likewise the grant's last use is kept whatever the caller's work then does.
    """
    try:
        used = authorise(principal, permission, scope, runtime.policy)
    except PermissionDenied as exc:
        with runtime.work(principal.actor) as work:
            work.audit(
                Action.ACCESS_DENIED,
                outcome="denied",
                details={"permission": permission, "scope": scope, "reason": exc.code},
            )
        raise
    with runtime.work(principal.actor) as work:
        grants.record_use(work, used)
    return principal
