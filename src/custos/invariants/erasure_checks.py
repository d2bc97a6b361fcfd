"""Erasure never destroys what the law says to keep, on live data (Art. 17(3)(b); e.g. Bokföringslagen 7:2)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.invariants.finding import Finding, InvariantContext
from custos.policy import Policy
from custos.requests.models import SubjectRequest, SubjectRequestTask
from custos.retention.keep import kept_for_ref
from custos.retention.rules import CompiledPolicy
from custos.systems.held import categories_for
from custos.systems.kept import KeepPlan
from custos.systems.models import SystemRun, SystemTask
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


@dataclass(frozen=True)
class EraseConflict:
    """An erase instruction still to be carried out that names a category kept today."""

    where: str  # "system_task:12", "system_run:7", "request:DSR-…/finance"
    subject_ref: str
    system: str
    categories: tuple[str, ...]
    laws: tuple[str, ...]


def live_conflicts(session: Session, policy: Policy, on: date) -> list[EraseConflict]:
    """Every open erase instruction — a manual task's list, a failed erasure waiting for its retry, a request's
    system step not yet done — that names a category `kept_on` keeps today, or one its own keep list keeps.

    Read-only; a person no longer in the register is checked against the instruction's own keep list. It reads
    every kind of instruction (systems' and requests'), so it lives with the checks, above all of them."""
    rules = CompiledPolicy.of(policy)
    systems = {s.id: s for s in policy.systems}
    plans: dict[str, KeepPlan] = {}

    def today(ref: str) -> KeepPlan:
        if ref not in plans:
            plans[ref] = kept_for_ref(session, rules, ref, on)
        return plans[ref]

    found: list[EraseConflict] = []

    def check(where: str, ref: str, system: str, erase: Iterable[str], own: KeepPlan) -> None:
        plan = today(ref).with_decisions(own.entries).in_system(system)
        named = sorted(set(erase) & plan.categories())
        if named:
            laws = tuple(sorted({k.law for k in plan.entries if k.category in named}))
            found.append(EraseConflict(where, ref, system, tuple(named), laws))

    for task in session.scalars(
        select(SystemTask).where(SystemTask.state == "open", SystemTask.operation == "erase").order_by(SystemTask.id)
    ):
        check(
            f"system_task:{task.id}", task.subject_ref, task.system_id, task.categories, KeepPlan.from_json(task.kept)
        )
    for run in session.scalars(
        select(SystemRun)
        .where(SystemRun.status == "failed", SystemRun.operation == "erase", SystemRun.keys_enc.is_not(None))
        .order_by(SystemRun.id)
    ):
        system = systems.get(run.system_id)
        if system is not None:
            own = KeepPlan.from_json(run.keep)
            check(
                f"system_run:{run.id}",
                run.subject_ref,
                system.id,
                own.erase_list(categories_for(policy, system), system.id),
                own,
            )
    pending = session.execute(
        select(SubjectRequest.ref, SubjectRequest.person_ref, SubjectRequest.keep, SubjectRequestTask.target)
        .join(SubjectRequestTask, SubjectRequestTask.request_id == SubjectRequest.id)
        .where(
            SubjectRequest.kind == "erasure",
            SubjectRequest.state == "in_progress",
            SubjectRequestTask.action == "erase",
            SubjectRequestTask.state.in_(("pending", "failed")),
        )
        .order_by(SubjectRequest.id, SubjectRequestTask.id)
    )
    for ref, person_ref, keep, target in pending:
        system = systems.get(target)
        if system is not None and person_ref is not None:
            own = KeepPlan.from_json(keep)
            check(
                f"request:{ref}/{target}",
                person_ref,
                target,
                own.erase_list(categories_for(policy, system), target),
                own,
            )
    return found
