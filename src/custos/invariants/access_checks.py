"""Who may see personal data, on live data: four eyes and no escalation (Art. 5(1)(f), 32(1)(b), 32(4))."""

from __future__ import annotations

from collections.abc import Iterator

from custos.access import four_eyes
from custos.invariants.finding import Finding, InvariantContext
from custos.work import Work


def unapproved_grants(work: Work, ctx: InvariantContext) -> Iterator[Finding]:
    for breach in four_eyes.unapproved_personal_data_grants(work.session, ctx.policy, ctx.now):
        yield Finding(f"grant {breach.grant_id}", breach.detail, breach.fix)


def grants_beyond_granter(work: Work, ctx: InvariantContext) -> Iterator[Finding]:
    for breach in four_eyes.grants_beyond_their_granter(work.session, ctx.policy, ctx.now):
        yield Finding(f"grant {breach.grant_id}", breach.detail, breach.fix)
