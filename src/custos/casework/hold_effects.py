"""A legal hold placed after an erasure was ordered stops that erasure too (Art. 17(3)(e)).

Erase instructions are fixed when their work is planned (`custos.retention.keep`): a manual task tells its
owner what to erase and what to keep, a failed erasure keeps its keep list for the retry, an erasure request
keeps its plan for the system steps still to run. A hold placed afterwards would be ignored by all three, and
an owner would destroy what a claim needs. So placing a hold adds it to every such instruction still open for
the people it covers: each category the instruction would erase becomes one the hold keeps, and the owner's
task page says so. Releasing the hold does not bring an erasure back by itself: the next sweep (or a new
request) decides afresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.audit.actions import Action
from custos.register.models import Person, Relationship
from custos.requests.models import SubjectRequest
from custos.systems.held import categories_for
from custos.systems.kept import LEGAL_CLAIMS, LEGAL_HOLD, KeepPlan, Kept
from custos.systems.models import SystemRun, SystemTask
from custos.work import Work


def people_held(session: Session, person_ref: str | None, organisation_id: int | None) -> list[str]:
    """The refs a hold covers: its person, or everyone related to its organisation."""
    if person_ref is not None:
        return [person_ref]
    rows = session.scalars(
        select(Person.ref)
        .join(Relationship, Relationship.person_id == Person.id)
        .where(Relationship.organisation_id == organisation_id)
        .distinct()
    )
    return list(rows)


def stop_open_erasures(work: Work, refs: Sequence[str], hold_id: int) -> int:
    """Make every open erase instruction for `refs` keep what it would erase; returns how many changed."""
    if not refs:
        return 0
    session, policy = work.session, work.policy
    systems = {s.id: s for s in policy.systems}
    changed: list[str] = []
    for task in session.scalars(
        select(SystemTask).where(
            SystemTask.state == "open", SystemTask.operation == "erase", SystemTask.subject_ref.in_(list(refs))
        )
    ):
        if task.categories:
            task.kept = _with_hold(task.kept, task.categories, task.system_id)
            task.categories = []
            changed.append(f"system_task:{task.id}")
    for run in session.scalars(
        select(SystemRun).where(
            SystemRun.status == "failed", SystemRun.operation == "erase", SystemRun.subject_ref.in_(list(refs))
        )
    ):
        system = systems.get(run.system_id)
        if system is not None:
            run.keep = _with_hold(run.keep, categories_for(policy, system), system.id)
            changed.append(f"system_run:{run.id}")
    everywhere = [c for s in policy.systems for c in categories_for(policy, s)]
    for req in session.scalars(
        select(SubjectRequest).where(
            SubjectRequest.kind == "erasure",
            SubjectRequest.state.in_(("assessing", "in_progress")),
            SubjectRequest.person_ref.in_(list(refs)),
        )
    ):
        req.keep = _with_hold(req.keep, everywhere, None)
        changed.append(f"request:{req.ref}")
    if changed:
        work.audit(
            Action.RETENTION_HOLD_STOPS_ERASURE,
            target=f"legal_hold:{hold_id}",
            details={"instructions": changed},
        )
    return len(changed)


def _with_hold(
    kept: list[dict[str, Any]] | None, categories: Sequence[str], system: str | None
) -> list[dict[str, Any]]:
    plan = KeepPlan.from_json(kept)
    already = {k.category for k in plan.entries if k.law == LEGAL_HOLD and (system is None or k.applies_to(system))}
    # A hold has no end date until it is released.
    added = tuple(
        Kept(c, LEGAL_HOLD, None, LEGAL_CLAIMS, None, (system,) if system else None)
        for c in dict.fromkeys(categories)
        if c not in already
    )
    return KeepPlan(plan.entries + added).to_json()
