"""A sweep's steps in connected systems: erase a due person in each system before the register forgets them.

A task that erases a person gets one step per system its relationships' activities name (`activity.systems`),
`{"crm": "pending", "mailer": "pending", "register": "pending"}`. The register step runs last because the
identities it deletes are what the systems are searched by, so they are copied first — encrypted, into
`system_subject_keys` — and the copy is deleted in the transaction that completes the register step: after a
crash the remaining system steps still know whom to look for, and nothing personal outlives the task.

Each system step commits its own state: `done`, `waiting` (a manual system's owner has a task; their
confirmation is tracked there), or still `pending` after a failure. A task with a pending system step is set
aside for the rest of the drive — its person stays in the register, where the next drive (or the hourly
retry) finds them — and the sweep stays `running` until every step is done. A trim removes only some
relationships of a person who stays registered, so it erases nothing in the systems.

What each system is told to keep comes from `custos.retention.keep` on the sweep's day, judged again with the
due-ness: a manual task lists it apart from what to erase, and a connected system leaves its rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from custos.clock import today
from custos.register.identities import person_keys
from custos.register.models import Person
from custos.retention.keep import kept_on
from custos.retention.loader import load_people
from custos.retention.models import RetentionSweep, RetentionTask
from custos.retention.rules import CompiledPolicy
from custos.retention.verdict import PersonVerdict, judge_person
from custos.systems.kept import KeepPlan

if TYPE_CHECKING:
    from custos.runtime import Runtime
    from custos.systems.keys import SubjectKeys

REGISTER_STEP = "register"
SETTLED = frozenset({"done", "waiting", "skipped"})


def cause_of(sweep_id: int) -> str:
    return f"retention:{sweep_id}"


def system_steps(task: RetentionTask) -> dict[str, str]:
    return {name: state for name, state in task.steps.items() if name != REGISTER_STEP}


def ready_for_register(task: RetentionTask) -> bool:
    return all(state in SETTLED for state in system_steps(task).values())


class SystemSteps:
    """The connected-systems part of a sweep, built from the runtime that owns the engines and keys."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._systems = {system.id for system in runtime.policy.systems}
        self._by_activity = {a.id: [s for s in a.systems if s in self._systems] for a in runtime.policy.activities}

    def plan(self, verdict: PersonVerdict) -> dict[str, str]:
        """The steps of a new task: one per system the person's activities name, then the register."""
        steps: dict[str, str] = {}
        if verdict.action == "erase":
            for relationship in verdict.removed:
                steps.update((s, "pending") for s in self._by_activity.get(relationship.row.activity, []))
        steps[REGISTER_STEP] = "pending"
        return steps

    def run(self, rules: CompiledPolicy, sweep_id: int, tasks: Sequence[int]) -> set[int]:
        """Carry out the pending system steps of these tasks; the ids of tasks left with a pending step."""
        from custos.systems.runs import erase_in_system

        work = self._prepare(rules, sweep_id, tasks)
        unfinished: set[int] = set()
        for task_id, ref, keys, pending, keep in work:
            for system_id in pending:
                outcome = erase_in_system(
                    self.runtime, system_id, keys, subject_ref=ref, cause=cause_of(sweep_id), keep=keep
                )
                state = outcome.status if outcome.status in ("done", "waiting") else "pending"
                self._set_step(task_id, system_id, state)
                if state == "pending":
                    unfinished.add(task_id)
        return unfinished

    def counts(self, session: Session, sweep_id: int, tasks: Sequence[RetentionTask]) -> dict[int, dict[str, Any]]:
        """For the tombstones: per task, each system's counts (or its manual task) under this sweep."""
        from custos.systems.models import SystemRun

        refs = {task.person_ref: task.id for task in tasks if system_steps(task)}
        if not refs:
            return {}
        found: dict[int, dict[str, Any]] = {}
        for run in session.scalars(
            select(SystemRun).where(
                SystemRun.cause == cause_of(sweep_id),
                SystemRun.operation == "erase",
                SystemRun.subject_ref.in_(list(refs)),
            )
        ):
            entry: dict[str, Any] = {"status": run.status, "tables": dict(run.counts)}
            if run.kept:
                entry["kept"] = list(run.kept)
            if run.task_id is not None:
                entry["task"] = run.task_id
            found.setdefault(refs[run.subject_ref], {})[run.system_id] = entry
        return found

    def forget(self, session: Session, sweep_id: int, refs: Sequence[str]) -> None:
        """Delete the copied identities of tasks now done (same transaction as their register step)."""
        from custos.systems.models import SystemSubjectKeys

        if refs:
            session.execute(
                delete(SystemSubjectKeys).where(
                    SystemSubjectKeys.cause == cause_of(sweep_id), SystemSubjectKeys.subject_ref.in_(list(refs))
                )
            )

    def _prepare(
        self, rules: CompiledPolicy, sweep_id: int, task_ids: Sequence[int]
    ) -> list[tuple[int, str, SubjectKeys, list[str], KeepPlan | None]]:
        """Per task with pending system steps: its ref, the identities to look for, the systems to do, and what
        to keep there (None for a person already gone: each system's first attempt recorded it).

        Due-ness is judged again first (as the register step will): a person no longer due, or held, is not
        erased in any system either; their system steps are `skipped` and the register step then skips them.
        """
        from custos.systems.models import SystemSubjectKeys
        from custos.systems.tasks import decrypt_keys, encrypt_keys

        runtime = self.runtime
        work = []
        with runtime.db.transaction() as session:
            sweep = session.get(RetentionSweep, sweep_id)
            assert sweep is not None
            tasks = list(session.scalars(select(RetentionTask).where(RetentionTask.id.in_(list(task_ids)))))
            tasks = [t for t in tasks if t.state == "pending" and not ready_for_register(t)]
            refs = dict(
                session.execute(select(Person.id, Person.ref).where(Person.id.in_([t.person_id for t in tasks]))).all()
            )
            people = load_people(session, list(refs), today(runtime.clock))
            for task in tasks:
                pending = [name for name, state in system_steps(task).items() if state not in SETTLED]
                # A system removed from the policy since planning has nothing left to erase through.
                gone = [name for name in pending if name not in self._systems]
                if gone:
                    task.steps = {**task.steps, **dict.fromkeys(gone, "skipped")}
                    pending = [name for name in pending if name in self._systems]
                    if not pending:
                        continue
                stored = session.scalar(
                    select(SystemSubjectKeys).where(
                        SystemSubjectKeys.cause == cause_of(sweep_id), SystemSubjectKeys.subject_ref == task.person_ref
                    )
                )
                present = refs.get(task.person_id) == task.person_ref
                facts = people.get(task.person_id) if present else None
                verdict = judge_person(rules, facts, sweep.as_of) if facts is not None else None
                if present and (verdict is None or verdict.action != "erase"):
                    task.steps = {**task.steps, **dict.fromkeys(pending, "skipped")}
                    continue
                if stored is not None:
                    keys = decrypt_keys(runtime.keys, stored.keys_enc)
                elif present:
                    keys = self._identities(session, task.person_id)
                    session.add(
                        SystemSubjectKeys(
                            cause=cause_of(sweep_id),
                            subject_ref=task.person_ref,
                            keys_enc=encrypt_keys(runtime.keys, keys),
                            created_at=runtime.clock.now(),
                        )
                    )
                else:  # gone from the register (erased by a request meanwhile) with nothing copied: nothing to find by
                    task.steps = {**task.steps, **dict.fromkeys(pending, "skipped")}
                    continue
                keep = kept_on(rules, facts, sweep.as_of) if facts is not None else None
                work.append((task.id, task.person_ref, keys, pending, keep))
        return work

    def _identities(self, session: Session, person_id: int) -> SubjectKeys:
        return person_keys(session, self.runtime.keys, person_id=person_id)

    def _set_step(self, task_id: int, system_id: str, state: str) -> None:
        with self.runtime.db.transaction() as session:
            task = session.get(RetentionTask, task_id)
            if task is not None and task.state == "pending":
                task.steps = {**task.steps, system_id: state}
