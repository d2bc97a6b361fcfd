"""Exporting and erasing one person in one connected system, with the outcome recorded — what requests and
retention call, system by system.

Each call records one `system_run` row per system, person, cause and operation, and an audit event; the
call never raises for a system that fails (the failure is the outcome, so the other systems go on), and a
failed erasure is retried later (`retry_failed`, hourly) from the identities kept encrypted on its run until
it succeeds. An erasure already done for the same cause is not repeated: the recorded outcome is returned,
and were it repeated it would find nothing and change nothing (the engine's guarantee). Manual systems get a
task for their owner and answer `waiting` until the owner confirms.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from custos import audit
from custos.actor import Actor
from custos.clock import today
from custos.errors import CustosError
from custos.policy.models import System, SystemKind
from custos.retention.keep import KeepPlan
from custos.runtime import Runtime
from custos.systems import http
from custos.systems.connect import scrub, system_engines
from custos.systems.erase import ErasureOutcome, erase_subject
from custos.systems.export import TableExport, export_subject
from custos.systems.inventory import connection_url, load_system_mapping, owner_of
from custos.systems.keys import SubjectKeys
from custos.systems.models import SystemRun
from custos.systems.rectify import Rectification, rectify_subject
from custos.systems.tasks import categories_for, decrypt_keys, encrypt_keys, open_task, task_state

__all__ = [
    "SystemExport",
    "SystemInfo",
    "SystemOutcome",
    "erase_in_system",
    "export_from_system",
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
    status: str  # done | failed | waiting (manual: a task for its owner)
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


@dataclass
class _Result:
    status: str
    counts: dict[str, Any] = field(default_factory=dict)
    kept: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    task_id: int | None = None


def list_systems(runtime: Runtime) -> list[SystemInfo]:
    """Every system in the policy, in file order, with its owner (the admin UI's, else the policy's)."""
    with runtime.db.transaction() as session:
        return [
            SystemInfo(s.id, s.name, str(s.kind), s.environment, owner_of(session, runtime.policy, s.id))
            for s in runtime.policy.systems
        ]


def export_from_system(
    runtime: Runtime, system_id: str, keys: SubjectKeys, *, subject_ref: str, cause: str
) -> SystemExport:
    """Every row the system holds about the person (Art. 15(3)), or the task a manual system's owner gets."""
    system = runtime.policy.system(system_id)
    started = runtime.clock.now()
    tables: list[TableExport] = []
    if system.kind is SystemKind.MANUAL:
        task_id, state = open_task(runtime, system, keys, subject_ref=subject_ref, cause=cause, operation="export")
        result = _Result("done" if state == "done" else "waiting", task_id=task_id)
    else:
        try:
            tables = _export(runtime, system, keys)
            result = _Result("done", counts={t.table: {"rows": len(t.rows)} for t in tables})
        except Exception as error:
            result = _Result("failed", error=_describe(runtime, system, error))
    recorded = _record(runtime, system, subject_ref, cause, "export", result, started, keys=None)
    return SystemExport(system.id, recorded.status, tables, recorded.error, recorded.task_id)


def erase_in_system(
    runtime: Runtime,
    system_id: str,
    keys: SubjectKeys,
    *,
    subject_ref: str,
    cause: str,
    keep: KeepPlan | None = None,
) -> SystemOutcome:
    """Erase the person in the system by its mapping's rules (Art. 17), or open its owner's task.

    `keep` (from `custos.retention.keep`) is what the law or a reviewer keeps: a mapped column of a kept
    category keeps its rows, a manual task lists it to keep and not to erase, and an HTTP system holding a kept
    category gets a task for its owner instead of a call that would delete everything. Without `keep`, a retry
    follows the instruction its first attempt recorded."""
    system = runtime.policy.system(system_id)
    with runtime.db.transaction() as session:
        previous = _run(session, system.id, subject_ref, cause, "erase")
        if previous is not None and previous.status == "done":
            return _outcome(previous)  # already done for this cause: nothing is sent to the system again
        if keep is None:
            keep = KeepPlan.from_json(previous.keep if previous is not None else None)
    keep = keep.in_system(system.id)
    started = runtime.clock.now()
    by_hand = system.kind is SystemKind.HTTP and bool(
        keep.categories() & set(categories_for(runtime.policy, system))
    )  # its delete call removes every record of the person: only the owner can leave the kept ones
    if system.kind is SystemKind.MANUAL or by_hand:
        task_id, state = open_task(
            runtime, system, keys, subject_ref=subject_ref, cause=cause, operation="erase", keep=keep
        )
        result = _Result("done" if state == "done" else "waiting", task_id=task_id)
    else:
        try:
            result = _erase(runtime, system, keys, keep)
        except Exception as error:
            result = _Result("failed", error=_describe(runtime, system, error))
    # Kept (encrypted) only while a retry needs them.
    run = _record(runtime, system, subject_ref, cause, "erase", result, started, keys=keys, keep=keep)
    return SystemOutcome(system.id, run.status, run.counts, run.kept, run.error, run.task_id)


def rectify_in_system(
    runtime: Runtime, system_id: str, keys: SubjectKeys, changes: Rectification, *, subject_ref: str, cause: str
) -> SystemOutcome:
    """Correct the person in the system where its mapping says the values live (Art. 16); a manual or HTTP
    system (no mapping to say where) gets a task for its owner saying what to correct. Counts are rows changed
    per table (`{table: {"corrected": n}}`). Done once per cause, like erasure."""
    system = runtime.policy.system(system_id)
    with runtime.db.transaction() as session:
        previous = _run(session, system.id, subject_ref, cause, "rectify")
        if previous is not None and previous.status == "done":
            return _outcome(previous)
    started = runtime.clock.now()
    if system.kind is not SystemKind.SQL:
        correct = {
            **({"email": changes.email[1]} if changes.email else {}),
            **({"phone": changes.phone[1]} if changes.phone else {}),
            **changes.fields,
        }
        task_id, state = open_task(
            runtime, system, keys, subject_ref=subject_ref, cause=cause, operation="rectify", correct=correct
        )
        result = _Result("done" if state == "done" else "waiting", task_id=task_id)
    else:
        try:
            mapping = load_system_mapping(runtime, system)
            engine = system_engines(runtime).engine(connection_url(runtime, system))
            counts = rectify_subject(engine, mapping, keys, changes)
            result = _Result("done", counts={table: {"corrected": n} for table, n in counts.items()})
        except Exception as error:
            result = _Result("failed", error=_describe(runtime, system, error))
    run = _record(runtime, system, subject_ref, cause, "rectify", result, started, keys=None)
    return SystemOutcome(system.id, run.status, run.counts, run.kept, run.error, run.task_id)


def retry_failed(runtime: Runtime, *, limit: int = 100) -> list[SystemOutcome]:
    """Run failed erasures again, oldest first; each either succeeds (its kept identities cleared) or stays failed.

    A failure in a system no longer in the policy cannot be retried: its identities are cleared, so nothing
    personal is kept for a retry that will never come (Art. 5(1)(e)); the run stays `failed` as the record.
    """
    known = {s.id for s in runtime.policy.systems}
    with runtime.db.transaction() as session:
        failed = []
        for run in session.scalars(
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


def _export(runtime: Runtime, system: System, keys: SubjectKeys) -> list[TableExport]:
    if system.kind is SystemKind.HTTP:
        records = http.export_records(system, keys, runtime.system_env)
        categories = {"*": ",".join(system.categories) or "none"}  # a record's fields are the endpoint's own
        return [TableExport(table=system.id, categories=categories, rows=records)] if records else []
    mapping = load_system_mapping(runtime, system)
    engine = system_engines(runtime).engine(connection_url(runtime, system))
    return export_subject(engine, mapping, keys)


def _erase(runtime: Runtime, system: System, keys: SubjectKeys, keep: KeepPlan) -> _Result:
    if system.kind is SystemKind.HTTP:
        deleted = http.delete_records(system, keys, runtime.system_env)
        return _Result("done", counts={system.id: {"deleted": deleted, "anonymised": 0, "kept": 0}})
    mapping = load_system_mapping(runtime, system)
    engine = system_engines(runtime).engine(connection_url(runtime, system))
    spare = {
        line["category"]: (_why_kept(line), date.fromisoformat(line["until"]) if line["until"] else None)
        for line in keep.summary()
    }
    outcome: ErasureOutcome = erase_subject(engine, mapping, keys, today=today(runtime.clock), keep=spare)
    counts = {
        table: {"deleted": t.deleted, "anonymised": t.anonymised, "kept": t.kept} for table, t in outcome.tables.items()
    }
    kept = [
        {"table": table, "until": t.kept_until.isoformat() if t.kept_until else None, "reason": t.reason}
        for table, t in outcome.tables.items()
        if t.kept
    ]
    return _Result("done", counts=counts, kept=kept)


def _why_kept(line: dict[str, Any]) -> str:
    """The reason a mapped table's rows stay, as the erasure's outcome reports it."""
    reasons = [*line["laws"], *(f"legal claims: {claim}" for claim in line["claims"])]
    if line.get("hold"):
        reasons.append("legal hold")
    return f"{line['category']} kept ({'; '.join(reasons) or 'GDPR Art. 17(3)'})"


def _describe(runtime: Runtime, system: System, error: Exception) -> str:
    """One line saying what failed, with any password the driver echoed removed."""
    text = error.message if isinstance(error, CustosError) else f"{type(error).__name__}: {error}"
    first = (text.strip().splitlines() or [type(error).__name__])[0]
    if system.kind is SystemKind.SQL:
        url = runtime.system_env.get(system.connection_setting, "")
        if url:
            first = scrub(first, url)
    log.warning("system %s failed: %s", system.id, first)
    return first[:MAX_ERROR]


def _run(session: Any, system_id: str, subject_ref: str, cause: str, operation: str) -> SystemRun | None:
    return session.scalar(  # type: ignore[no-any-return]
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
    subject_ref: str,
    cause: str,
    operation: str,
    result: _Result,
    started: datetime,
    *,
    keys: SubjectKeys | None,
    keep: KeepPlan | None = None,
) -> SystemOutcome:
    with runtime.db.transaction() as session:
        run = _run(session, system.id, subject_ref, cause, operation)
        if run is None:
            run = SystemRun(system_id=system.id, subject_ref=subject_ref, cause=cause, operation=operation, attempts=0)
            session.add(run)
        elif run.status == "done" and result.status == "waiting":
            # A manual task confirmed meanwhile: the confirmation is the outcome.
            return _outcome(run)
        run.attempts += 1
        run.status = result.status
        run.counts = result.counts
        run.kept = result.kept
        run.keep = keep.to_json() if keep is not None else None
        run.error = result.error
        run.task_id = result.task_id
        run.keys_enc = encrypt_keys(runtime.keys, keys) if keys is not None and result.status == "failed" else None
        run.started_at = started
        run.finished_at = runtime.clock.now()
        counted = {"export": ("rows",), "rectify": ("corrected",)}.get(operation, ("deleted", "anonymised", "kept"))
        totals = {name: sum(int(c.get(name, 0)) for c in result.counts.values()) for name in counted}
        audit.record(
            session,
            runtime.clock,
            _ACTOR,
            f"system.{operation}",
            subject=subject_ref,
            target=f"system:{system.id}",
            reference=cause,
            outcome="ok" if result.status != "failed" else "failed",
            details={"status": result.status, "attempt": run.attempts, "tables": len(result.counts), **totals},
        )
        session.flush()
        return _outcome(run)


def _outcome(run: SystemRun) -> SystemOutcome:
    return SystemOutcome(run.system_id, run.status, dict(run.counts), list(run.kept), run.error, run.task_id)
