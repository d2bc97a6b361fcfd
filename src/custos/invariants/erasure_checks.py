"""Erasure never destroys what the law says to keep, on live data (Art. 17(3)(b); e.g. Bokföringslagen 7:2)."""

from __future__ import annotations

from collections.abc import Iterator

from custos.invariants.finding import Finding, InvariantContext
from custos.retention.keep import live_conflicts
from custos.work import Work

# How an instruction names itself (`system_task:12`) and how a finding names it for a person to find.
_SUBJECTS = {"system_task": "task", "system_run": "run", "request": "request"}


def kept_categories_in_erase_instructions(work: Work, ctx: InvariantContext) -> Iterator[Finding]:
    for conflict in live_conflicts(work.session, ctx.policy, ctx.on):
        kind, _, ident = conflict.where.partition(":")
        if kind == "request":
            ident = ident.split("/", 1)[0]
        yield Finding(
            f"{_SUBJECTS.get(kind, kind)} {ident}",
            f"erasing {', '.join(conflict.categories)} in {conflict.system} for person {conflict.subject_ref}, "
            f"which {'; '.join(conflict.laws)} keeps",
        )
