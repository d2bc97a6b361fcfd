"""Who a CLI command acts as, and its permission check.

The CLI acts as a named staff member: `custos --as EMAIL …` or `CUSTOS_ACTOR=EMAIL`. The name is declared,
not proved: whoever runs the CLI already holds the key file and the database credentials, which are the
real boundary. What naming adds is accountability (audit events say `cli:staff:<id>`, Art. 5(2)) and least
privilege for honest users (a support agent's shell cannot read the register, Art. 32(4)). In the embedded
demo mode, leaving it out acts as the first administrator; production mode insists on a name.
"""

from __future__ import annotations

import typer

from custos.access import identify
from custos.access.enforce import enforce
from custos.access.permissions import CUSTOS_SCOPE
from custos.access.principal import Principal
from custos.runtime import Runtime

ACTOR_OPTION = "act_as"


def acting_as(ctx: typer.Context) -> str | None:
    value = ctx.find_root().params.get(ACTOR_OPTION)
    return value if isinstance(value, str) and value.strip() else None


def require(ctx: typer.Context, runtime: Runtime, permission: str, scope: str = CUSTOS_SCOPE) -> Principal:
    """The acting staff member, if they hold `permission` in `scope`; a refusal is audited and raised."""
    with runtime.db.transaction() as session:
        principal = identify.for_cli(
            session,
            runtime.clock,
            acting_as(ctx),
            default_to_bootstrap_admin=runtime.settings.mode == "embedded",
        )
    return enforce(runtime, principal, permission, scope)
