"""The inventory of connected systems: the policy's `systems`, with the operational state Custos keeps.

Policy as code: what a system is and how it is reached (kind, mapping, connection variable, http calls) is
written in the policy file and reviewed like code; the admin UI cannot change it. What the database adds is
operational: an owner set by staff (overriding the policy's `owner`) and the outcome of each run. How a
system is connected (a sql system's URL variable, shown masked, and its mapping) is its connector's to say
(`custos.systems.connectors`); no URL or token is ever written to the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from custos.access.models import Staff
from custos.audit.actions import Action
from custos.errors import InvalidInput, Problem
from custos.policy import Policy
from custos.policy.models import System
from custos.systems.connectors import Description, connector_for
from custos.systems.models import SystemRun, SystemState, SystemTask
from custos.systems.ownership import assignee, named_owner, needs_owner, ownership
from custos.systems.schemas import RunPublic, SystemDetailPublic, SystemPublic
from custos.work import Work

if TYPE_CHECKING:
    from custos.runtime import Runtime


def owner_of(session: Session, policy: Policy, system_id: str) -> str | None:
    """The owner set in the admin UI, else the policy's; whether they can do its tasks is `ownership`'s."""
    return named_owner(session, policy, system_id)


def inventory(work: Work, runtime: Runtime) -> list[SystemPublic]:
    """Every system in the policy, in file order, with its owner, connection and latest outcome."""
    return [_entry(work, system, connector_for(system).describe(runtime, system)) for system in work.policy.systems]


def system_entry(work: Work, runtime: Runtime, system_id: str) -> SystemDetailPublic:
    """One system, with what its connector says it holds per table (a sql system's mapping)."""
    system = work.policy.system(system_id)
    described = connector_for(system).describe(runtime, system, detail=True)
    return SystemDetailPublic(**_entry(work, system, described).model_dump(), tables=described.tables)


def set_owner(work: Work, system_id: str, owner: str | None) -> str | None:
    """Set (or, with None, clear back to the policy's) the owner: an active staff member, who gets its tasks.

    The system's open tasks are addressed to the new owner if they can do them (or left unassigned, so the
    dashboard keeps listing them, if they cannot).
    """
    session, policy, now = work.session, work.policy, work.clock.now()
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
    state.updated_by = work.actor.label
    state.updated_at = now
    session.flush()
    now_owner = assignee(session, policy, system_id, now)
    open_tasks = (SystemTask.system_id == system_id) & (SystemTask.state == "open")
    moved = session.scalar(select(func.count()).select_from(SystemTask).where(open_tasks))
    session.execute(
        update(SystemTask).where(open_tasks).values(owner=now_owner).execution_options(synchronize_session=False)
    )
    work.audit(
        Action.SYSTEM_OWNER_SET,
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


def _entry(work: Work, system: System, described: Description) -> SystemPublic:
    session, policy = work.session, work.policy
    state = session.get(SystemState, system.id)
    owner_source = "admin" if state is not None and state.owner else ("policy" if system.owner else None)
    last = session.scalars(
        select(SystemRun).where(SystemRun.system_id == system.id).order_by(SystemRun.finished_at.desc()).limit(1)
    ).first()
    failed = session.scalar(
        select(func.count())
        .select_from(SystemRun)
        .where(SystemRun.system_id == system.id, SystemRun.status == "failed")
    )
    judged = ownership(session, policy, system.id, work.clock.now()) if needs_owner(system) else None
    return SystemPublic(
        id=system.id,
        name=system.name,
        kind=system.kind,
        environment=system.environment,
        description=system.description,
        owner=owner_of(session, policy, system.id),
        owner_source=owner_source,
        owner_problem=judged.problem if judged is not None else None,
        mapping=system.mapping,
        mapping_status=described.mapping_status,
        mapping_error=described.mapping_error,
        connection=described.connection,
        connection_set=described.connection_set,
        masked_url=described.masked_url,
        last_status=last.status if last is not None else None,
        last_operation=last.operation if last is not None else None,
        last_at=last.finished_at if last is not None else None,
        failed=int(failed or 0),
    )


def recent_runs(work: Work, system_id: str | None, *, status: str | None = None, limit: int = 50) -> list[RunPublic]:
    """The latest outcomes, newest first, of one system (or all), by status if given."""
    query = select(SystemRun)
    if system_id is not None:
        work.policy.system(system_id)  # an unknown system is NotFound
        query = query.where(SystemRun.system_id == system_id)
    if status is not None:
        query = query.where(SystemRun.status == status)
    return [
        RunPublic(
            id=r.id,
            system=r.system_id,
            subject_ref=r.subject_ref,
            cause=r.cause,
            operation=r.operation,
            status=r.status,
            counts=dict(r.counts),
            kept=list(r.kept),
            error=r.error,
            attempts=r.attempts,
            task_id=r.task_id,
            started_at=r.started_at,
            finished_at=r.finished_at,
        )
        for r in work.session.scalars(query.order_by(SystemRun.finished_at.desc(), SystemRun.id.desc()).limit(limit))
    ]
