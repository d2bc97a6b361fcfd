"""Reading the plan, and what a sweep started now would do: the dry run behind "Run the sweep now" and
`custos retention sweep` (issue 13 item 11: a sweep erased at once, on one click, with nothing to look at).

Every look at the plan — the API's page, the admin's table and chart, the CLI's table and CSV, the dry run —
is one `read_plan`, audited as `retention.plan` in the reader's unit: the plan names people by ref with their
relationships' dates, pseudonymous personal data (Art. 5(2)).

Erasure cannot be undone (Art. 17), so whoever starts a sweep by hand first sees how many people it erases or
trims, each with the rule and the day it fell due, and confirms that number. The preview is the plan as of
today (the same walk the sweep plans with), plus the tasks an unfinished sweep still has to carry out, which
a new sweep finishes first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from custos.audit.actions import Action
from custos.clock import today
from custos.retention.models import RetentionSweep, RetentionTask
from custos.retention.plan import PlanLine, iter_plan, plan_lines
from custos.retention.rules import CompiledPolicy
from custos.retention.schemas import PlanPage
from custos.work import Work


def read_plan(
    work: Work,
    on: date,
    *,
    limit: int = 100,
    offset: int = 0,
    each: Callable[[PlanLine], None] | None = None,
    details: Mapping[str, object] | None = None,
) -> PlanPage:
    """The plan as of `on`: its counts, the lines `offset`…`offset + limit`, and `each` called with every line
    (a CSV of the whole plan); one `retention.plan` event, with `details` saying what else the reader saw."""
    counts = {"erase": 0, "trim": 0, "keep": 0}
    lines: list[PlanLine] = []
    total = 0
    for person in iter_plan(work.session, CompiledPolicy.of(work.policy), on):
        counts[person.verdict.action] += 1
        for line in plan_lines(person):
            if each is not None:
                each(line)
            if offset <= total < offset + limit:
                lines.append(line)
            total += 1
    work.audit(
        Action.RETENTION_PLAN,
        details={
            "as_of": on.isoformat(),
            "erase": counts["erase"],
            "trim": counts["trim"],
            "held": counts["keep"],
            **(details or {}),
        },
    )
    return PlanPage(
        as_of=on,
        people_to_erase=counts["erase"],
        people_to_trim=counts["trim"],
        people_held=counts["keep"],
        items=lines,
        limit=limit,
        offset=offset,
        total_lines=total,
    )


@dataclass(frozen=True)
class SweepPreview:
    plan: PlanPage  # as of today; its first `limit` lines (held ones included)
    unfinished: int  # tasks an unfinished sweep has still to carry out, first (their people are due today too)

    @property
    def as_of(self) -> date:
        return self.plan.as_of

    @property
    def erase(self) -> int:
        """People erased entirely."""
        return self.plan.people_to_erase

    @property
    def trim(self) -> int:
        """People who lose only their due relationships."""
        return self.plan.people_to_trim

    @property
    def held(self) -> int:
        """Due, but a legal hold keeps them."""
        return self.plan.people_held

    @property
    def lines(self) -> list[PlanLine]:
        return self.plan.items

    @property
    def total_lines(self) -> int:
        return self.plan.total_lines

    @property
    def people(self) -> int:
        """How many people the sweep changes: what the one who starts it confirms."""
        return self.erase + self.trim


def preview_sweep(work: Work, *, limit: int = 100, offset: int = 0) -> SweepPreview:
    plan = read_plan(work, today(work.clock), limit=limit, offset=offset, details={"purpose": "sweep preview"})
    unfinished = work.session.scalar(
        select(func.count())
        .select_from(RetentionTask)
        .join(RetentionSweep, RetentionSweep.id == RetentionTask.sweep_id)
        .where(RetentionSweep.state != "done", RetentionTask.state == "pending")
    )
    return SweepPreview(plan, int(unfinished or 0))
