"""Storage limitation on live data: nobody is kept past the day their relationships fell due (Art. 5(1)(e))."""

from __future__ import annotations

from collections.abc import Iterator

from custos.invariants.finding import Finding, InvariantContext
from custos.retention.plan import iter_plan
from custos.retention.rules import CompiledPolicy
from custos.work import Work


def kept_past_due(work: Work, ctx: InvariantContext) -> Iterator[Finding]:
    """People still held although a relationship fell due before today and no hold keeps it.

    The daily sweep erases everything due on its day, so a relationship due *before* today that is still in
    the register means a sweep did not run or did not finish; due today is not yet late.
    """
    rules = CompiledPolicy.of(ctx.policy)
    for planned in iter_plan(work.session, rules, ctx.on):
        late = [r for r in planned.verdict.removed if r.due_on is not None and r.due_on < ctx.on]
        if not late:
            continue
        first = min(late, key=lambda r: r.due_on or ctx.on)
        activities = ", ".join(sorted({r.row.activity for r in late}))
        yield Finding(
            subject=f"person {planned.ref}",
            detail=f"due since {first.due_on} ({activities}: {first.rule}) and not held",
        )
