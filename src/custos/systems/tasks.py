"""Tasks for the owners of manual systems: what to look for, and the owner's confirmation of what was done.

A manual system is one a person searches and changes by hand. Asking it to export or erase someone opens one
task per system, person, cause and operation (asking again returns the same task), addressed to the system's
owner, with the identities to look for and the data categories the policy places there. The identities are
stored encrypted and cleared when the owner confirms (Art. 5(1)(c), (e)); the confirmation — which fields,
how many records, a note — is audited (Art. 5(2)) and closes the system's run for that cause.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from custos.access.permissions import scope_covers
from custos.access.principal import Principal, holds
from custos.actor import Actor
from custos.audit.actions import Action
from custos.crypto import KeyRing
from custos.db.sealed import seal
from custos.errors import ConfigurationError, Conflict, InvalidInput, NotFound, Problem
from custos.mail.sender import MailError, Message, mailer_for
from custos.policy import Policy
from custos.policy.models import System
from custos.systems.held import categories_for
from custos.systems.kept import KeepPlan
from custos.systems.keys import SubjectKeys
from custos.systems.models import SystemRun, SystemSubjectKeys, SystemTask
from custos.systems.ownership import PROBLEMS, assignee, ownership
from custos.systems.schemas import TaskPublic

if TYPE_CHECKING:
    from custos.runtime import Runtime
    from custos.work import Work

log = logging.getLogger(__name__)
_ACTOR = Actor.system("systems")

KEYS_FIELD = "system.subject_keys"
NOTE_FIELD = "system_task.note"
seal(SystemRun, {"keys_enc": KEYS_FIELD})
seal(SystemTask, {"identities_enc": KEYS_FIELD, "note_enc": NOTE_FIELD})
seal(SystemSubjectKeys, {"keys_enc": KEYS_FIELD})
TASK_PERMISSION = "systems.tasks"
MAX_FIELDS = 50
MAX_NOTE = 2000
# What a task asks its owner to do, and the states it moves through; each has its wording in the admin pages
# (a test renders every page for every pair, in every language).
OPERATIONS = ("export", "erase", "rectify")
STATES = ("open", "done")


@dataclass(frozen=True)
class TaskDetail:
    task: TaskPublic
    keys: SubjectKeys | None  # what to look for; None once done (cleared)
    note: str | None
    correct: dict[str, str] | None = None  # a rectification: field → the new value; None once done (cleared)


def encrypt_keys(keyring: KeyRing, keys: SubjectKeys, correct: dict[str, str] | None = None) -> bytes:
    payload: dict[str, object] = {
        "emails": list(keys.emails),
        "phones": list(keys.phones),
        "external_ids": list(keys.external_ids),
    }
    if correct:
        payload["correct"] = correct  # what a rectification task asks the owner to write; as personal as the keys
    return keyring.encrypt(json.dumps(payload, separators=(",", ":")), KEYS_FIELD)


def decrypt_correct(keyring: KeyRing, blob: bytes) -> dict[str, str] | None:
    found = json.loads(keyring.decrypt(blob, KEYS_FIELD)).get("correct")
    return dict(found) if found else None


def decrypt_keys(keyring: KeyRing, blob: bytes) -> SubjectKeys:
    data = json.loads(keyring.decrypt(blob, KEYS_FIELD))
    return SubjectKeys(tuple(data["emails"]), tuple(data["phones"]), tuple(data["external_ids"]))


def open_task(
    runtime: Runtime,
    system: System,
    keys: SubjectKeys,
    *,
    subject_ref: str,
    cause: str,
    operation: str,
    correct: dict[str, str] | None = None,
    keep: KeepPlan | None = None,
) -> tuple[int, str]:
    """The task for this person, cause and operation in the system (opened once); its id and state.

    An erasure task lists the categories to erase and, apart, those to keep with their law and until-date
    (`keep`, from `custos.retention.keep`): the erase list never names a kept category.

    The owner is told by email when SMTP is configured (the email names no person; the identities are shown
    only in the admin UI, to a signed-in owner).
    """
    with runtime.work(_ACTOR) as work:
        session = work.session
        task = _find(session, system.id, subject_ref, cause, operation)
        if task is not None:
            return task.id, task.state
    plan, held = keep or KeepPlan(), categories_for(runtime.policy, system)
    try:
        with runtime.work(_ACTOR) as work:
            session = work.session
            task = SystemTask(
                system_id=system.id,
                subject_ref=subject_ref,
                cause=cause,
                operation=operation,
                state="open",
                owner=assignee(session, runtime.policy, system.id, runtime.clock.now()),
                identities_enc=encrypt_keys(runtime.keys, keys, correct),
                categories=plan.erase_list(held, system.id),
                kept=KeepPlan(tuple(k for k in plan.in_system(system.id).entries if k.category in held)).to_json(),
                created_at=runtime.clock.now(),
                done_fields=[],
            )
            session.add(task)
            session.flush()
            work.audit(
                Action.SYSTEM_TASK_OPEN,
                subject=subject_ref,
                target=f"system:{system.id}",
                reference=cause,
                details={"task": task.id, "operation": operation},
            )
            task_id, owner = task.id, task.owner
    except IntegrityError:  # opened at the same moment by another caller: theirs is the one
        with runtime.work(_ACTOR) as work:
            session = work.session
            existing = _find(session, system.id, subject_ref, cause, operation)
            assert existing is not None
            return existing.id, existing.state
    _notify(runtime, system, task_id, owner, operation)
    return task_id, "open"


def task_state(runtime: Runtime, task_id: int) -> str:
    """`open` or `done`; callers poll this while a manual system's part of a request is waiting."""
    with runtime.work(_ACTOR) as work:
        session = work.session
        task = session.get(SystemTask, task_id)
        if task is None:
            raise NotFound(f"No system task {task_id}.")
        return task.state


def systems_for(principal: Principal, policy: Policy) -> list[str]:
    """The systems whose tasks the principal may see and confirm (`systems.tasks` in a covering scope)."""
    return [
        s.id
        for s in policy.systems
        if holds(principal.grants, TASK_PERMISSION, s.id, policy)
        and (
            principal.via != "token"
            or (
                TASK_PERMISSION in principal.token_permissions
                and principal.token_scope is not None
                and scope_covers(principal.token_scope, s.id, policy)
            )
        )
    ]


def list_tasks(work: Work, systems: list[str], *, state: str | None = "open", limit: int = 200) -> list[TaskPublic]:
    """The tasks of `systems` (the viewer's), newest first, by state if given; people by ref only."""
    if not systems:
        return []
    query = select(SystemTask).where(SystemTask.system_id.in_(systems))
    if state is not None:
        query = query.where(SystemTask.state == state)
    rows = work.session.scalars(query.order_by(SystemTask.id.desc()).limit(limit))
    return [_view(work.policy, task) for task in rows]


def task_detail(work: Work, system_id: str, task_id: int) -> TaskDetail:
    """The task with what to look for, decrypted for the owner; the look is audited (it shows identities)."""
    keyring = work.keys
    task = _task(work.session, system_id, task_id)
    keys = decrypt_keys(keyring, task.identities_enc) if task.identities_enc is not None else None
    note = keyring.decrypt(task.note_enc, NOTE_FIELD) if task.note_enc is not None else None
    correct = decrypt_correct(keyring, task.identities_enc) if task.identities_enc is not None else None
    if keys is not None:
        work.audit(
            Action.SYSTEM_TASK_READ,
            subject=task.subject_ref,
            target=f"system:{system_id}",
            reference=task.cause,
            details={"task": task.id},
        )
    return TaskDetail(_view(work.policy, task), keys, note, correct)


def confirm_task(
    work: Work, system_id: str, task_id: int, *, fields: list[str], records: int | None, note: str | None
) -> TaskPublic:
    """The owner says what was done; the task is closed, its identities cleared, its run marked done."""
    session = work.session
    task = _task(session, system_id, task_id)
    if task.state == "done":
        raise Conflict(f"Task {task_id} was already confirmed on {task.done_at:%Y-%m-%d}.")
    fields = [f.strip() for f in fields if f.strip()]
    problems = []
    if not fields:
        problems.append(Problem("fields", "say which fields or records were handled", hint="tick at least one"))
    if len(fields) > MAX_FIELDS or any(len(f) > 100 for f in fields):
        problems.append(Problem("fields", f"at most {MAX_FIELDS} fields of up to 100 characters each"))
    if records is not None and records < 0:
        problems.append(Problem("records", "the number of records cannot be negative"))
    if note is not None and len(note) > MAX_NOTE:
        problems.append(Problem("note", f"at most {MAX_NOTE} characters"))
    if problems:
        raise InvalidInput("the confirmation is incomplete", problems)
    now = work.clock.now()
    task.state = "done"
    task.done_at = now
    task.done_by = work.actor.label
    task.done_fields = fields
    task.done_records = records
    task.note_enc = work.keys.encrypt(note, NOTE_FIELD) if note and note.strip() else None
    task.identities_enc = None  # no longer needed: what to look for goes once it has been looked for
    run = session.scalar(
        select(SystemRun).where(
            SystemRun.system_id == task.system_id,
            SystemRun.subject_ref == task.subject_ref,
            SystemRun.cause == task.cause,
            SystemRun.operation == task.operation,
        )
    )
    if run is not None:
        run.status = "done"
        run.counts = {"manual": {"records": records or 0}}
        run.error = None
        run.keys_enc = None
        run.finished_at = now
    work.audit(
        Action.SYSTEM_TASK_CONFIRM,
        subject=task.subject_ref,
        target=f"system:{task.system_id}",
        reference=task.cause,
        details={"task": task.id, "operation": task.operation, "fields": fields, "records": records or 0},
    )
    return _view(work.policy, task)


def _find(session: Session, system_id: str, subject_ref: str, cause: str, operation: str) -> SystemTask | None:
    return session.scalar(
        select(SystemTask).where(
            SystemTask.system_id == system_id,
            SystemTask.subject_ref == subject_ref,
            SystemTask.cause == cause,
            SystemTask.operation == operation,
        )
    )


def _task(session: Session, system_id: str, task_id: int) -> SystemTask:
    task = session.get(SystemTask, task_id)
    # A task of another system is "not found": a grant for one system says nothing about another's tasks.
    if task is None or task.system_id != system_id:
        raise NotFound(f"No task {task_id} in system {system_id!r}.")
    return task


def _view(policy: Policy, task: SystemTask) -> TaskPublic:
    name = next((s.name for s in policy.systems if s.id == task.system_id), task.system_id)
    return TaskPublic(
        id=task.id,
        system=task.system_id,
        system_name=name,
        subject_ref=task.subject_ref,
        cause=task.cause,
        operation=task.operation,
        state=task.state,
        owner=task.owner,
        categories=list(task.categories),
        created_at=task.created_at,
        done_at=task.done_at,
        done_by=task.done_by,
        done_fields=list(task.done_fields),
        done_records=task.done_records,
        kept=KeepPlan.from_json(task.kept).summary(),
    )


def _notify(runtime: Runtime, system: System, task_id: int, owner: str | None, operation: str) -> None:
    if owner is None:
        _escalate(runtime, system, task_id)
        return
    if not runtime.settings.smtp_host:
        log.info("no SMTP server configured: the owner of %s is not emailed about task %s", system.id, task_id)
        return
    try:
        mailer = mailer_for(runtime.settings, str(runtime.policy.organisation.contacts.privacy))
        link = f"{runtime.settings.base_url}/admin/systems/{system.id}/tasks/{task_id}"
        what, done = {"erase": ("erase", "erased"), "rectify": ("correct", "corrected")}.get(
            operation, ("export", "exported")
        )
        mailer.send(
            Message(
                to=owner,
                subject=f"Custos: a person to {what} in {system.name}",
                body=(
                    f"A person's data in {system.name} must be {done} by hand.\n"
                    f"Sign in to see whom to look for and to confirm what you did:\n{link}\n"
                ),
                language=runtime.settings.language,
            )
        )
    except (MailError, ConfigurationError) as error:
        log.warning("could not email the owner of %s about task %s: %s", system.id, task_id, error)
        return
    with runtime.work(_ACTOR) as work:
        session = work.session
        task = session.get(SystemTask, task_id)
        if task is not None:
            task.notified_at = runtime.clock.now()


# One email a day per system at most: a sweep may open a thousand tasks in a system nobody owns, and the
# privacy contact needs to hear of the system once, not of each person (the dashboard lists every task).
ESCALATE_EVERY = timedelta(days=1)


def _escalate(runtime: Runtime, system: System, task_id: int) -> None:
    """Nobody can do the task: tell the privacy contact (no person named, as in the owner's email) so an owner
    is set while the request's month (Art. 12(3)) or the erasure's due date (Art. 5(1)(e)) still allows."""
    now = runtime.clock.now()
    with runtime.work(_ACTOR) as work:
        session = work.session
        problem = ownership(session, runtime.policy, system.id, now).problem or "no_owner"
        recent = session.scalar(
            select(SystemTask.id).where(
                SystemTask.system_id == system.id, SystemTask.escalated_at >= now - ESCALATE_EVERY
            )
        )
        waiting = session.scalar(
            select(func.count())
            .select_from(SystemTask)
            .where(SystemTask.system_id == system.id, SystemTask.state == "open", SystemTask.owner.is_(None))
        )
    log.warning("system %s: task %s waits unassigned (%s)", system.id, task_id, PROBLEMS[problem])
    if recent is not None:
        return  # told within the day; the dashboard counts the rest
    if not runtime.settings.smtp_host:
        log.info("no SMTP server configured: the privacy contact is not emailed about task %s", task_id)
        return
    privacy = str(runtime.policy.organisation.contacts.privacy)
    base = runtime.settings.base_url
    try:
        mailer_for(runtime.settings, privacy).send(
            Message(
                to=privacy,
                subject=f"Custos: tasks in {system.name} wait for an owner",
                body=(
                    f"A task in {system.name} (task {task_id}) has nobody to do it: {PROBLEMS[problem]}.\n"
                    f"{waiting or 1} open task(s) in {system.name} wait unassigned; a request's deadline or an "
                    "erasure's due date runs meanwhile.\n"
                    f"Set the system's owner (a staff member with the system_owner role for it):\n"
                    f"{base}/admin/systems/owners\n"
                    f"The tasks waiting:\n{base}/admin/systems/waiting\n"
                ),
                language=runtime.settings.language,
            )
        )
    except (MailError, ConfigurationError) as error:
        log.warning("could not email the privacy contact about task %s: %s", task_id, error)
        return
    with runtime.work(_ACTOR) as work:
        session = work.session
        task = session.get(SystemTask, task_id)
        if task is not None:
            task.escalated_at = now


def tasks_for_cause(work: Work, cause: str) -> list[TaskPublic]:
    """Every manual task opened for one cause (`request:DSR-…`), oldest first: the tasks a request waits on."""
    rows = work.session.scalars(select(SystemTask).where(SystemTask.cause == cause).order_by(SystemTask.id))
    return [_view(work.policy, task) for task in rows]


# -- the owner's list and bulk confirmation ----------------------------------------------------------------

PAGE_SIZE = 50
MAX_BULK = 200


@dataclass(frozen=True)
class TaskPage:
    tasks: list[TaskPublic]
    total: int
    offset: int
    size: int

    @property
    def has_next(self) -> bool:
        return self.offset + self.size < self.total


def page_tasks(
    work: Work,
    systems: list[str],
    *,
    state: str | None = "open",
    system: str | None = None,
    offset: int = 0,
    size: int | None = None,
) -> TaskPage:
    """One page of the tasks in `systems` (the viewer's), newest first, by state and one system if given."""
    size = size or PAGE_SIZE
    shown = [s for s in systems if system is None or s == system]
    if not shown:
        return TaskPage([], 0, offset, size)
    query = select(SystemTask).where(SystemTask.system_id.in_(shown))
    if state is not None:
        query = query.where(SystemTask.state == state)
    total = work.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = work.session.scalars(query.order_by(SystemTask.id.desc()).offset(max(offset, 0)).limit(size))
    return TaskPage([_view(work.policy, task) for task in rows], total, max(offset, 0), size)


REFUSED_UNKNOWN = "unknown"
REFUSED_SCOPE = "scope"
REFUSED_DONE = "done"
REFUSED_FIELDS = "fields"


@dataclass(frozen=True)
class TaskRefusal:
    task_id: int
    reason: str  # unknown | scope | done | fields; the pages word it
    system_name: str | None = None


@dataclass(frozen=True)
class ConfirmPlan:
    allowed: list[TaskPublic]
    refused: list[TaskRefusal]


class BulkConfirmRefused(Conflict):
    """Some of the selected tasks cannot be confirmed; none was."""

    def __init__(self, refused: list[TaskRefusal]) -> None:
        super().__init__(f"{len(refused)} of the selected tasks cannot be confirmed; none was confirmed")
        self.refused = refused


def _bulk_fields(task: SystemTask, other_fields: list[str]) -> list[str]:
    """What a bulk confirmation records as handled: the categories the task listed, and any named on the form."""
    return list(dict.fromkeys([*task.categories, *(f.strip() for f in other_fields if f.strip())]))


def plan_confirmations(
    work: Work, allowed_systems: list[str], task_ids: list[int], other_fields: list[str]
) -> ConfirmPlan:
    """Which of the selected tasks the viewer can confirm together, and which not and why. A task of a system
    outside the viewer's scope is refused without naming its system: a grant for one system says nothing
    about another's tasks."""
    chosen = list(dict.fromkeys(task_ids))
    if not chosen:
        raise InvalidInput("choose the tasks to confirm", [Problem("tasks", "no task is selected")])
    if len(chosen) > MAX_BULK:
        raise InvalidInput("too many tasks at once", [Problem("tasks", f"at most {MAX_BULK} at a time")])
    policy = work.policy
    found = {t.id: t for t in work.session.scalars(select(SystemTask).where(SystemTask.id.in_(chosen)))}
    scope = set(allowed_systems)
    allowed: list[TaskPublic] = []
    refused: list[TaskRefusal] = []
    for task_id in chosen:
        task = found.get(task_id)
        if task is None:
            refused.append(TaskRefusal(task_id, REFUSED_UNKNOWN))
        elif task.system_id not in scope:
            refused.append(TaskRefusal(task_id, REFUSED_SCOPE))
        elif task.state == "done":
            refused.append(TaskRefusal(task_id, REFUSED_DONE, _view(policy, task).system_name))
        elif not _bulk_fields(task, other_fields):
            refused.append(TaskRefusal(task_id, REFUSED_FIELDS, _view(policy, task).system_name))
        else:
            allowed.append(_view(policy, task))
    return ConfirmPlan(allowed, refused)


def confirm_many(
    work: Work,
    allowed_systems: list[str],
    task_ids: list[int],
    *,
    other_fields: list[str],
    note: str | None,
) -> list[TaskPublic]:
    """Confirm every selected task as its owner would one by one (each closed, its identities cleared, its run
    done, each audited as `system.task_confirm`), in the caller's one transaction; all or nothing: when any
    task is refused, `BulkConfirmRefused` names each and nothing is confirmed."""
    checked = plan_confirmations(work, allowed_systems, task_ids, other_fields)
    if checked.refused:
        raise BulkConfirmRefused(checked.refused)
    done = []
    for view in checked.allowed:
        task = _task(work.session, view.system, view.id)
        done.append(
            confirm_task(
                work,
                view.system,
                view.id,
                fields=_bulk_fields(task, other_fields),
                records=None,
                note=note,
            )
        )
    return done
