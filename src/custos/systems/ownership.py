"""Who does a system's manual tasks, and the tasks nobody can do (issue 13: systems nobody owns).

A manual system is searched and changed by a person; an http system gets a task when a correction has nowhere
to go. Its owner — the admin UI's, else the policy's — can do a task only as an active staff member holding
`systems.tasks` for that system (the `system_owner` role, scoped to it or its environment). Anything less and
the task waits with nobody to do it, while the law's clock runs: a request's month (Art. 12(3)), an erasure
that is due (Art. 5(1)(e), 17(1)). So such a task is escalated to the privacy contact, listed on the
dashboard, and reported by `custos doctor` (`unassigned_tasks`, `unowned_systems`).

Who can act is judged now, not when the task was opened: an owner disabled or stripped of the role since then
leaves the task unassigned, and setting a new owner assigns the open tasks to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from custos.access.grants import held_grants
from custos.access.models import Staff
from custos.access.principal import holds
from custos.policy import Policy
from custos.policy.models import System
from custos.systems.models import SystemState, SystemTask

TASK_PERMISSION = "systems.tasks"

# Why nobody can do a system's tasks; each has its wording in the admin pages (`systems.owner_problems.*`).
NO_OWNER = "no_owner"
NO_ACCOUNT = "no_account"
DISABLED = "disabled"
NO_GRANT = "no_grant"
PROBLEMS: dict[str, str] = {
    NO_OWNER: "the system has no owner",
    NO_ACCOUNT: "its owner has no staff account",
    DISABLED: "its owner's staff account is disabled",
    NO_GRANT: "its owner does not hold the system_owner role for it",
}
FIX = "set an owner who holds the system_owner role for the system (admin: Systems → Set system owners)"


@dataclass(frozen=True)
class Ownership:
    """A system's owner (the admin UI's, else the policy's) and why they cannot do its tasks, if they cannot."""

    system: str
    owner: str | None
    problem: str | None  # one of PROBLEMS, or None: the owner can do the tasks

    @property
    def assigned(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class WaitingTask:
    """An open task that nobody can do, or that has been open longer than it should; no personal data."""

    id: int
    system: str
    system_name: str
    operation: str
    subject_ref: str
    cause: str
    created_at: datetime
    days_open: int
    owner: str | None
    problem: str | None  # why nobody can do it; None when it is assigned but late


def needs_owner(system: System) -> bool:
    """Whether the system gets tasks: its connector has work done by hand (a manual system's every operation,
    an http system's corrections — it has no mapping)."""
    from custos.systems.connectors import connector_for  # the connectors open tasks through this module

    return connector_for(system).owner_work is not None


def named_owner(session: Session, policy: Policy, system_id: str) -> str | None:
    """The owner set in the admin UI, else the one the policy names."""
    state = session.get(SystemState, system_id)
    if state is not None and state.owner:
        return state.owner
    owner = policy.system(system_id).owner
    return str(owner) if owner is not None else None


def ownership(session: Session, policy: Policy, system_id: str, now: datetime) -> Ownership:
    return judge(session, policy, system_id, named_owner(session, policy, system_id), now)


def assignee(session: Session, policy: Policy, system_id: str, now: datetime) -> str | None:
    """Who a new task of the system is addressed to: its owner if they can do it, else None (unassigned)."""
    found = ownership(session, policy, system_id, now)
    return found.owner if found.assigned else None


def ownerships(session: Session, policy: Policy, now: datetime) -> dict[str, Ownership]:
    """Every system that gets tasks, in policy order."""
    return {s.id: ownership(session, policy, s.id, now) for s in policy.systems if needs_owner(s)}


def unowned_systems(session: Session, policy: Policy, now: datetime) -> list[Ownership]:
    """Systems that get tasks but whose owner cannot do them: what `custos doctor` names, with `FIX`."""
    return [found for found in ownerships(session, policy, now).values() if not found.assigned]


def unassigned_tasks(session: Session, policy: Policy, now: datetime, *, older_than_days: int = 0) -> list[WaitingTask]:
    """Open tasks nobody can do, opened at least `older_than_days` days ago; oldest first."""
    judged = ownerships(session, policy, now)
    opened_by = now - timedelta(days=older_than_days)
    clause = _unassigned(judged) & (SystemTask.created_at <= opened_by)
    return _waiting(session, policy, now, judged, clause)


def waiting_tasks(session: Session, policy: Policy, now: datetime, *, older_than_days: int) -> list[WaitingTask]:
    """Open tasks nobody can do (whatever their age) and assigned ones open longer than `older_than_days`
    days; oldest first. One query for the tasks, one look at each system's owner."""
    judged = ownerships(session, policy, now)
    clause = _unassigned(judged) | (SystemTask.created_at <= now - timedelta(days=older_than_days))
    return _waiting(session, policy, now, judged, clause)


def _unassigned(judged: dict[str, Ownership]) -> ColumnElement[bool]:
    # A task of a system no longer in the policy (or no longer one that gets tasks) has nobody either.
    return SystemTask.system_id.not_in([system for system, found in judged.items() if found.assigned])


def _waiting(
    session: Session, policy: Policy, now: datetime, judged: dict[str, Ownership], clause: ColumnElement[bool]
) -> list[WaitingTask]:
    names = {s.id: s.name for s in policy.systems}
    query = select(SystemTask).where(SystemTask.state == "open", clause)
    found = []
    for task in session.scalars(query.order_by(SystemTask.created_at, SystemTask.id)):
        owned = judged.get(task.system_id)
        found.append(
            WaitingTask(
                id=task.id,
                system=task.system_id,
                system_name=names.get(task.system_id, task.system_id),
                operation=task.operation,
                subject_ref=task.subject_ref,
                cause=task.cause,
                created_at=task.created_at,
                days_open=max((now - task.created_at).days, 0),
                owner=owned.owner if owned is not None else None,
                problem=owned.problem if owned is not None else NO_OWNER,
            )
        )
    return found


def judge(session: Session, policy: Policy, system_id: str, owner: str | None, now: datetime) -> Ownership:
    if owner is None:
        return Ownership(system_id, None, NO_OWNER)
    staff = session.scalar(select(Staff).where(func.lower(Staff.email) == owner.strip().lower()))
    if staff is None:
        return Ownership(system_id, owner, NO_ACCOUNT)
    if staff.status != "active":
        return Ownership(system_id, owner, DISABLED)
    if not holds(held_grants(session, staff.id, now), TASK_PERMISSION, system_id, policy):
        return Ownership(system_id, owner, NO_GRANT)
    return Ownership(system_id, owner, None)
