"""What a sweep started now would do, shown before it runs: the dry run behind "Run the sweep now" and
`custos retention sweep` (issue 13 item 11: a sweep erased at once, on one click, with nothing to look at).

Erasure cannot be undone (Art. 17), so whoever starts a sweep by hand first sees how many people it erases or
trims, each with the rule and the day it fell due, and confirms that number. The preview is the plan as of
today (the same walk the sweep plans with), plus the tasks an unfinished sweep still has to carry out, which
a new sweep finishes first. Looking at it is audited like any look at the plan (`retention.plan`): it names
people by ref (Art. 5(2)).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from custos import audit
from custos.actor import Actor
from custos.clock import Clock, today
from custos.policy import Policy
from custos.retention.models import RetentionSweep, RetentionTask
from custos.retention.plan import PlanLine, iter_plan, plan_lines
from custos.retention.rules import CompiledPolicy


@dataclass(frozen=True)
class SweepPreview:
    as_of: date
    erase: int  # people erased entirely
    trim: int  # people who lose only their due relationships
    held: int  # due, but a legal hold keeps them
    unfinished: int  # tasks an unfinished sweep has still to carry out, first (their people are due today too)
    lines: list[PlanLine]  # the first `limit` lines of the plan (held ones included)
    total_lines: int

    @property
    def people(self) -> int:
        """How many people the sweep changes: what the one who starts it confirms."""
        return self.erase + self.trim


def preview_sweep(
    session: Session, policy: Policy, clock: Clock, actor: Actor, *, limit: int = 100, offset: int = 0
) -> SweepPreview:
    on = today(clock)
    counts = {"erase": 0, "trim": 0, "keep": 0}
    lines: list[PlanLine] = []
    total = 0
    for person in iter_plan(session, CompiledPolicy.of(policy), on):
        counts[person.verdict.action] += 1
        for line in plan_lines(person):
            if offset <= total < offset + limit:
                lines.append(line)
            total += 1
    unfinished = session.scalar(
        select(func.count())
        .select_from(RetentionTask)
        .join(RetentionSweep, RetentionSweep.id == RetentionTask.sweep_id)
        .where(RetentionSweep.state != "done", RetentionTask.state == "pending")
    )
    audit.record(
        session,
        clock,
        actor,
        "retention.plan",
        details={
            "as_of": on.isoformat(),
            "erase": counts["erase"],
            "trim": counts["trim"],
            "held": counts["keep"],
            "purpose": "sweep preview",
        },
    )
    return SweepPreview(on, counts["erase"], counts["trim"], counts["keep"], int(unfinished or 0), lines, total)
