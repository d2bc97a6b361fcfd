"""Erasure reaches every system, on live data: each has an owner who can act, and no task waits (Art. 17, 19)."""

from __future__ import annotations

from collections.abc import Iterator

from custos.invariants.finding import Finding, InvariantContext
from custos.systems import ownership
from custos.work import Work


def unowned_systems(work: Work, ctx: InvariantContext) -> Iterator[Finding]:
    for found in ownership.unowned_systems(work.session, ctx.policy, ctx.now):
        owner = f"owner {found.owner}: " if found.owner else ""
        problem = ownership.PROBLEMS.get(found.problem or "", found.problem or "")
        yield Finding(f"system {found.system}", f"{owner}{problem}", ownership.FIX)


def waiting_tasks(work: Work, ctx: InvariantContext) -> Iterator[Finding]:
    """Tasks nobody can do, and tasks open longer than the setting `system_task_days` allows."""
    for task in ownership.waiting_tasks(work.session, ctx.policy, ctx.now, older_than_days=ctx.unassigned_days):
        why = (
            ownership.PROBLEMS.get(task.problem, task.problem)
            if task.problem
            else f"open {task.days_open} days, more than {ctx.unassigned_days}"
        )
        yield Finding(
            f"task {task.id}",
            f"{task.operation} in {task.system_name} for person {task.subject_ref} ({task.cause}): {why}",
        )
