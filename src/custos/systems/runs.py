"""Exporting, erasing and correcting one person in one connected system, with the outcome recorded — what
requests and retention call, system by system.

The system's connector (`custos.systems.connectors`, by the kind its policy entry names) does the work; this
module does the rest the same way for every kind. Each call records one `system_run` row per system, person,
cause and operation, and an audit event; the call never raises for a system that fails (the failure is the
outcome, so the other systems go on), and a failed erasure is retried later (`retry_failed`, hourly) from the
identities kept encrypted on its run until it succeeds. An operation already done for the same cause is not
repeated: the recorded outcome is returned, and were an erasure repeated it would find nothing and change
nothing (the engine's guarantee). A system whose owner does the work gets a task and answers `waiting` until
the owner confirms.

Runtime tier: a system is slow or down at times, so nothing waits on it inside a transaction; each step (the
look for an earlier outcome, the connector's call, the record) is its own unit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.actor import Actor
from custos.audit.actions import Action
from custos.errors import CustosError
from custos.policy.models import System
from custos.runtime import Runtime
from custos.systems.connectors import Answer, Person, connector_for
from custos.systems.export import TableExport
from custos.systems.inventory import owner_of
from custos.systems.kept import KeepPlan
from custos.systems.keys import SubjectKeys
from custos.systems.models import SystemRun
from custos.systems.rectify import Rectification
from custos.systems.tasks import decrypt_keys, encrypt_keys, open_task, task_state

__all__ = [
    "SystemExport",
    "SystemInfo",
    "SystemOutcome",
    "erase_in_system",
    "export_from_system",
    "find_in_system",
    "list_systems",
    "rectify_in_system",
    "retry_failed",
    "task_state",
]

log = logging.getLogger(__name__)
_ACTOR = Actor.system("systems")
MAX_ERROR = 500


@dataclass
class SystemInfo:
    id: str
    name: str
    kind: str
    environment: str
    owner: str | None


@dataclass
class SystemExport:
    system: str
    status: str  # done | failed | waiting (a task for its owner)
    tables: list[TableExport]
    error: str | None = None
    task_id: int | None = None


@dataclass
class SystemOutcome:
    system: str
    status: str  # done | failed | waiting
    counts: dict[str, dict[str, int]]  # table → {deleted, anonymised, kept}
    kept: list[dict[str, Any]]  # what a legal obligation keeps: {table, until, reason}
    error: str | None = None
    task_id: int | None = None


@dataclass(frozen=True)
class _Failed:
    error: str
    status: str = "failed"
    counts: dict[str, dict[str, int]] | None = None
    kept: list[dict[str, Any]] | None = None
    task_id: int | None = None
    tables: tuple[TableExport, ...] = ()


def list_systems(runtime: Runtime) -> list[SystemInfo]:
    """Every system in the policy, in file order, with its owner (the admin UI's, else the policy's)."""
    with runtime.work(_ACTOR) as work:
        return [
            SystemInfo(s.id, s.name, s.kind, s.environment, owner_of(work.session, runtime.policy, s.id))
            for s in runtime.policy.systems
        ]


def find_in_system(runtime: Runtime, system_id: str, keys: SubjectKeys) -> dict[str, int] | None:
    """How many records of the person the system holds, per table, without changing or recording anything;
    None when only its owner can tell. Raises when the system fails (nothing is recorded to show instead)."""
    system = runtime.policy.system(system_id)
    return connector_for(system).find(runtime, system, keys)


def export_from_system(
    runtime: Runtime, system_id: str, keys: SubjectKeys, *, subject_ref: str, cause: str
) -> SystemExport:
    """Every record the system holds about the person (Art. 15(3)), or the task its owner gets."""
    system = runtime.policy.system(system_id)
    started = runtime.clock.now()
    person = _person(runtime, system, keys, subject_ref, cause, "export")
    result: Answer | _Failed
    try:
        result = connector_for(system).export(runtime, system, person)
    except Exception as error:
        result = _Failed(_describe(system, error))
    recorded = _record(runtime, system, person, "export", result, started, keep_keys=False)
    return SystemExport(system.id, recorded.status, list(result.tables), recorded.error, recorded.task_id)


def erase_in_system(
    runtime: Runtime,
    system_id: str,
    keys: SubjectKeys,
    *,
    subject_ref: str,
    cause: str,
    keep: KeepPlan | None = None,
) -> SystemOutcome:
    """Erase the person in the system (Art. 17) as its connector does: by its mapping's rules, a delete call,
    or its owner's task.

    `keep` (from `custos.retention.keep`) is what the law or a reviewer keeps: a mapped column of a kept
    category keeps its rows, a task lists it to keep and not to erase, and a system that cannot leave some of
    a person's records (an http delete call) gets a task for its owner instead. Without `keep`, a retry
    follows the instruction its first attempt recorded."""
    system = runtime.policy.system(system_id)
    with runtime.work(_ACTOR) as work:
        previous = _run(work.session, system.id, subject_ref, cause, "erase")
        if previous is not None and previous.status == "done":
            return _outcome(previous)  # already done for this cause: nothing is sent to the system again
        if keep is None:
            keep = KeepPlan.from_json(previous.keep if previous is not None else None)
    keep = keep.in_system(system.id)
    started = runtime.clock.now()
    person = _person(runtime, system, keys, subject_ref, cause, "erase")
    result: Answer | _Failed
    try:
        result = connector_for(system).erase(runtime, system, person, keep)
    except Exception as error:
        result = _Failed(_describe(system, error))
    # The identities are kept (encrypted) only while a retry needs them.
    return _record(runtime, system, person, "erase", result, started, keep_keys=True, keep=keep)


def rectify_in_system(
    runtime: Runtime, system_id: str, keys: SubjectKeys, changes: Rectification, *, subject_ref: str, cause: str
) -> SystemOutcome:
    """Correct the person in the system where its connector can (a sql system's mapping says where the values
    live, Art. 16); a system without such a map gets a task for its owner saying what to correct. Counts are
    rows changed per table (`{table: {"corrected": n}}`). Done once per cause, like erasure."""
    system = runtime.policy.system(system_id)
    with runtime.work(_ACTOR) as work:
        previous = _run(work.session, system.id, subject_ref, cause, "rectify")
        if previous is not None and previous.status == "done":
            return _outcome(previous)
    started = runtime.clock.now()
    person = _person(runtime, system, keys, subject_ref, cause, "rectify")
    result: Answer | _Failed
    try:
        result = connector_for(system).rectify(runtime, system, person, changes)
    except Exception as error:
        result = _Failed(_describe(system, error))
    return _record(runtime, system, person, "rectify", result, started, keep_keys=False)


def retry_failed(runtime: Runtime, *, limit: int = 100) -> list[SystemOutcome]:
    """Run failed erasures again, oldest first; each either succeeds (its kept identities cleared) or stays failed.

    A failure in a system no longer in the policy cannot be retried: its identities are cleared, so nothing
    personal is kept for a retry that will never come (Art. 5(1)(e)); the run stays `failed` as the record.
    """
    known = {s.id for s in runtime.policy.systems}
    with runtime.work(_ACTOR) as work:
        failed = []
        for run in work.session.scalars(
            select(SystemRun)
            .where(SystemRun.status == "failed", SystemRun.operation == "erase", SystemRun.keys_enc.is_not(None))
            .order_by(SystemRun.id)
            .limit(limit)
        ):
            if run.system_id not in known:
                run.keys_enc = None
                run.error = ((run.error or "") + "; not retried: the system is no longer in the policy")[:MAX_ERROR]
                continue
            assert run.keys_enc is not None
            failed.append((run.system_id, run.subject_ref, run.cause, run.keys_enc))
    outcomes = []
    for system_id, subject_ref, cause, blob in failed:
        keys = decrypt_keys(runtime.keys, blob)
        outcomes.append(erase_in_system(runtime, system_id, keys, subject_ref=subject_ref, cause=cause))
    return outcomes


def _person(
    runtime: Runtime, system: System, keys: SubjectKeys, subject_ref: str, cause: str, operation: str
) -> Person:
    def ask_owner(*, keep: KeepPlan | None = None, correct: dict[str, str] | None = None) -> Answer:
        task_id, state = open_task(
            runtime,
            system,
            keys,
            subject_ref=subject_ref,
            cause=cause,
            operation=operation,
            keep=keep,
            correct=correct,
        )
        return Answer("done" if state == "done" else "waiting", task_id=task_id)

    return Person(keys, subject_ref, cause, ask_owner)


def _describe(system: System, error: Exception) -> str:
    """One line saying what failed (a connector keeps credentials out of its errors)."""
    text = error.message if isinstance(error, CustosError) else f"{type(error).__name__}: {error}"
    first = (text.strip().splitlines() or [type(error).__name__])[0]
    log.warning("system %s failed: %s", system.id, first)
    return first[:MAX_ERROR]


def _run(session: Session, system_id: str, subject_ref: str, cause: str, operation: str) -> SystemRun | None:
    return session.scalar(
        select(SystemRun).where(
            SystemRun.system_id == system_id,
            SystemRun.subject_ref == subject_ref,
            SystemRun.cause == cause,
            SystemRun.operation == operation,
        )
    )


def _record(
    runtime: Runtime,
    system: System,
    person: Person,
    operation: str,
    result: Answer | _Failed,
    started: datetime,
    *,
    keep_keys: bool,
    keep: KeepPlan | None = None,
) -> SystemOutcome:
    with runtime.work(_ACTOR) as work:
        session = work.session
        run = _run(session, system.id, person.subject_ref, person.cause, operation)
        if run is None:
            run = SystemRun(
                system_id=system.id, subject_ref=person.subject_ref, cause=person.cause, operation=operation, attempts=0
            )
            session.add(run)
        elif run.status == "done" and result.status == "waiting":
            # A task confirmed meanwhile: the confirmation is the outcome.
            return _outcome(run)
        counts = dict(result.counts or {})
        failed = isinstance(result, _Failed)
        run.attempts += 1
        run.status = result.status
        run.counts = counts
        run.kept = list(result.kept or [])
        run.keep = keep.to_json() if keep is not None else None
        run.error = result.error if isinstance(result, _Failed) else None
        run.task_id = result.task_id
        run.keys_enc = encrypt_keys(runtime.keys, person.keys) if keep_keys and failed else None
        run.started_at = started
        run.finished_at = runtime.clock.now()
        counted = {"export": ("rows",), "rectify": ("corrected",)}.get(operation, ("deleted", "anonymised", "kept"))
        totals = {name: sum(int(c.get(name, 0)) for c in counts.values()) for name in counted}
        work.audit(
            Action(f"system.{operation}"),
            subject=person.subject_ref,
            target=f"system:{system.id}",
            reference=person.cause,
            outcome="failed" if failed else "ok",
            details={"status": result.status, "attempt": run.attempts, "tables": len(counts), **totals},
        )
        session.flush()
        return _outcome(run)


def _outcome(run: SystemRun) -> SystemOutcome:
    return SystemOutcome(run.system_id, run.status, dict(run.counts), list(run.kept), run.error, run.task_id)
