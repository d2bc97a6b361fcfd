"""The inventory of connected systems: the policy's `systems`, with the operational state Custos keeps.

Policy as code: what a system is and how it is reached (kind, mapping, connection variable, http calls) is
written in the policy file and reviewed like code; the admin UI cannot change it. What the database adds is
operational: an owner set by staff (overriding the policy's `owner`) and the outcome of each run. A sql
system's URL is read from the environment variable its policy entry names, is never written to the
database, and is shown masked (`postgresql://crm:***@db/crm`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from custos import audit
from custos.access.models import Staff
from custos.actor import Actor
from custos.clock import Clock
from custos.errors import ConfigurationError, CustosError, InvalidInput, Problem
from custos.policy import Policy
from custos.policy.models import System, SystemKind
from custos.systems.connect import mask_url
from custos.systems.models import SystemRun, SystemState, SystemTask
from custos.systems.ownership import assignee, named_owner, needs_owner, ownership

if TYPE_CHECKING:
    from custos.runtime import Runtime
    from custos.systems.mapping import DatasetMapping, ErasureRule


@dataclass(frozen=True)
class SystemEntry:
    id: str
    name: str
    kind: str
    environment: str
    description: str | None
    owner: str | None
    owner_source: str | None  # policy | admin | None
    owner_problem: str | None  # why nobody can do its tasks (`custos.systems.ownership.PROBLEMS`); None: fine
    mapping: str | None  # the path as written in the policy
    mapping_status: str  # ok | missing | invalid | none (not a sql system)
    mapping_error: str | None
    connection: str | None  # the environment variable's name, never its value
    connection_set: bool
    masked_url: str | None
    last_status: str | None
    last_operation: str | None
    last_at: datetime | None
    failed: int  # runs whose latest attempt failed


def mapping_problem(path: Path, policy: Policy | None = None) -> tuple[str, str | None] | None:
    """Why the mapping file at `path` cannot be used (message, hint), or None when it loads."""
    if not path.is_file():
        return f"the dataset mapping {path} does not exist", "write it with `custos systems scan URL > FILE`"
    from custos.systems.mapping import load_mapping  # the engine's module; only needed for sql systems

    try:
        load_mapping(path, policy)
    except CustosError as error:
        first = error.problems[0] if error.problems else None
        return f"the dataset mapping {path} is invalid: {first or error.message}", "run `custos systems check`"
    return None


def mapping_path(policy_path: Path, system: System) -> Path | None:
    return policy_path.parent / system.mapping if system.mapping is not None else None


def load_system_mapping(runtime: Runtime, system: System) -> DatasetMapping:
    from custos.systems.mapping import load_mapping

    path = mapping_path(runtime.settings.policy_path, system)
    if path is None:
        raise ConfigurationError(f"system {system.id!r} has no dataset mapping in the policy")
    return load_mapping(path, runtime.policy)


def connection_url(runtime: Runtime, system: System) -> str:
    """The sql system's URL from its environment variable; the error names the variable, never a value."""
    name = system.connection_setting
    url = runtime.system_env.get(name, "").strip()
    if not url:
        raise ConfigurationError(f"system {system.id!r}: set {name} to its database URL (it is not set)")
    return url


def owner_of(session: Session, policy: Policy, system_id: str) -> str | None:
    """The owner set in the admin UI, else the policy's; whether they can do its tasks is `ownership`'s."""
    return named_owner(session, policy, system_id)


def inventory(runtime: Runtime, session: Session) -> list[SystemEntry]:
    return [_entry(runtime, session, system) for system in runtime.policy.systems]


def system_entry(runtime: Runtime, session: Session, system_id: str) -> SystemEntry:
    return _entry(runtime, session, runtime.policy.system(system_id))


def set_owner(
    session: Session, clock: Clock, actor: Actor, policy: Policy, system_id: str, owner: str | None
) -> str | None:
    """Set (or, with None, clear back to the policy's) the owner: an active staff member, who gets its tasks.

    The system's open tasks are addressed to the new owner if they can do them (or left unassigned, so the
    dashboard keeps listing them, if they cannot).
    """
    policy.system(system_id)  # an unknown system is NotFound
    staff_id: int | None = None
    if owner:
        staff = session.scalar(select(Staff).where(func.lower(Staff.email) == owner.strip().lower()))
        if staff is None or not _active(staff):
            raise InvalidInput(
                "the owner must be an active staff member",
                [Problem("owner", "no active staff member has this email", hint="create the account first")],
            )
        owner, staff_id = staff.email, staff.id
    state = session.get(SystemState, system_id)
    if state is None:
        state = SystemState(system_id=system_id)
        session.add(state)
    state.owner = owner or None
    state.updated_by = actor.label
    state.updated_at = clock.now()
    session.flush()
    now_owner = assignee(session, policy, system_id, clock.now())
    open_tasks = (SystemTask.system_id == system_id) & (SystemTask.state == "open")
    moved = session.scalar(select(func.count()).select_from(SystemTask).where(open_tasks))
    session.execute(
        update(SystemTask).where(open_tasks).values(owner=now_owner).execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        clock,
        actor,
        "system.owner_set",
        target=f"system:{system_id}",
        details={
            "owner_staff": staff_id if staff_id is not None else "policy default",
            "open_tasks": int(moved or 0),
            "assigned": now_owner is not None,
        },
    )
    return owner_of(session, policy, system_id)


def _active(staff: Staff) -> bool:
    return staff.status == "active"


def _entry(runtime: Runtime, session: Session, system: System) -> SystemEntry:
    state = session.get(SystemState, system.id)
    owner_source = "admin" if state is not None and state.owner else ("policy" if system.owner else None)
    status, error = _mapping_status(runtime, system)
    url = runtime.system_env.get(system.connection_setting, "") if system.kind is SystemKind.SQL else ""
    last = session.scalars(
        select(SystemRun).where(SystemRun.system_id == system.id).order_by(SystemRun.finished_at.desc()).limit(1)
    ).first()
    failed = session.scalar(
        select(func.count())
        .select_from(SystemRun)
        .where(SystemRun.system_id == system.id, SystemRun.status == "failed")
    )
    judged = ownership(session, runtime.policy, system.id, runtime.clock.now()) if needs_owner(system) else None
    return SystemEntry(
        id=system.id,
        name=system.name,
        kind=str(system.kind),
        environment=system.environment,
        description=system.description,
        owner=owner_of(session, runtime.policy, system.id),
        owner_source=owner_source,
        owner_problem=judged.problem if judged is not None else None,
        mapping=system.mapping,
        mapping_status=status,
        mapping_error=error,
        connection=system.connection_setting if system.kind is SystemKind.SQL else None,
        connection_set=bool(url),
        masked_url=mask_url(url) if url else None,
        last_status=last.status if last is not None else None,
        last_operation=last.operation if last is not None else None,
        last_at=last.finished_at if last is not None else None,
        failed=int(failed or 0),
    )


def _mapping_status(runtime: Runtime, system: System) -> tuple[str, str | None]:
    path = mapping_path(runtime.settings.policy_path, system)
    if path is None:
        return "none", None
    problem = mapping_problem(path, runtime.policy)
    if problem is None:
        return "ok", None
    return ("missing" if not path.is_file() else "invalid"), problem[0]


@dataclass(frozen=True)
class TableSummary:
    table: str
    categories: list[str]
    identity: list[str]  # "column (kind)"
    references: list[str]  # "column → table.column"
    rule: str  # what erasure does here, in words


def mapping_summary(runtime: Runtime, system: System) -> list[TableSummary]:
    """Per table of a sql system's mapping: its data categories, how a person is found, and its erasure rule."""
    mapping = load_system_mapping(runtime, system)
    return [
        TableSummary(
            table=name,
            categories=sorted({c for c in spec.columns.values() if c != "none"}),
            identity=[f"{column} ({kind})" for column, kind in spec.identity.items()],
            references=[f"{column} → {target}" for column, target in spec.references.items()],
            rule=_rule_text(spec.erase),
        )
        for name, spec in mapping.tables.items()
    ]


def _rule_text(rule: ErasureRule | None) -> str:
    if rule is None:
        return "none"
    if rule.kind == "anonymise":
        return "anonymise " + ", ".join(rule.anonymise or {})
    if rule.kind == "keep_until":
        then = _rule_text(rule.then)
        law = f" ({rule.law})" if rule.law else ""
        return f"keep {rule.keep} from {rule.from_}{law}, then {then}"
    return rule.kind


@dataclass(frozen=True)
class RunView:
    id: int
    system: str
    subject_ref: str
    cause: str
    operation: str
    status: str
    counts: dict[str, Any]
    kept: list[dict[str, Any]]
    error: str | None
    attempts: int
    task_id: int | None
    started_at: datetime
    finished_at: datetime


def recent_runs(
    session: Session, system_id: str | None, *, status: str | None = None, limit: int = 50
) -> list[RunView]:
    query = select(SystemRun)
    if system_id is not None:
        query = query.where(SystemRun.system_id == system_id)
    if status is not None:
        query = query.where(SystemRun.status == status)
    return [
        RunView(
            r.id,
            r.system_id,
            r.subject_ref,
            r.cause,
            r.operation,
            r.status,
            dict(r.counts),
            list(r.kept),
            r.error,
            r.attempts,
            r.task_id,
            r.started_at,
            r.finished_at,
        )
        for r in session.scalars(query.order_by(SystemRun.finished_at.desc(), SystemRun.id.desc()).limit(limit))
    ]
