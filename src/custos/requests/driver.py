"""Moving a request forward: `drive_request(runtime, ref)` does whatever the case needs next, idempotently.

Each step commits on its own: planning the tasks (`verified → in_progress`) with the register's reading step,
then each task with its new state and result, the last one together with the finish (the outcome, the Art. 19
notices, one `work_done` event; the package is written just before). A crash or a kill between any
two steps leaves rows that say exactly what is left, and the next drive (the `requests-drive` job re-drives
every open request) carries on from there; the register steps commit with their task's state, and the
systems' calls are idempotent per request (`custos.systems.runs` returns a finished erasure's outcome again),
so nothing is done twice.

Erasure and rectification touch the connected systems first and the register last: the register's identities
are what the systems are searched by (the same order as the retention engine's steps), and a rectification may
change them.

An erasure that touches an activity the policy marks for review stops in `assessing` after verification
(`custos.requests.assessment`); once staff have decided, the drive plans it like any other. What an erasure
keeps is fixed in the same transaction that plans its tasks (`req.keep`: `custos.retention.keep` on that day
plus the reviewer's decisions), and every step follows that one list: each system's erasure, the register's
tombstone, the outcome and the letter. A re-drive after a crash reads it back, so nothing is decided twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.actor import Actor
from custos.register.identities import person_keys
from custos.register.people import get_person
from custos.requests import answers, assessment, cases
from custos.requests.kinds import KINDS, REGISTER
from custos.requests.models import SubjectRequest, SubjectRequestTask
from custos.requests.staging import package_path, stage
from custos.retention.erase import erase_on_request
from custos.retention.rules import CompiledPolicy
from custos.runtime import Runtime
from custos.systems.kept import KeepPlan
from custos.systems.keys import SubjectKeys
from custos.work import Work

log = logging.getLogger("custos.requests")

JOB_NAME = "requests-drive"
ACTOR = Actor.system(JOB_NAME)
MAX_ATTEMPTS = 5
_PORTABLE_BASES = frozenset({"consent", "contract"})  # Art. 20(1)(a)


@dataclass(frozen=True)
class DriveResult:
    ref: str
    state: str
    ready: bool
    pending: int
    failed: int


@dataclass(frozen=True)
class _Left:
    """What a drive needs after its first unit of work: the tasks left, and whom to look for."""

    kind: str
    language: str
    tasks: list[tuple[int, str, str, str, int]]  # id, target, action, state, attempts
    keys: SubjectKeys
    subject_ref: str
    package_written: bool
    changes: dict[str, Any]
    keep: KeepPlan = field(default_factory=KeepPlan)


def drive_request(runtime: Runtime, ref: str, *, actor: Actor = ACTOR) -> DriveResult:
    """Do the next steps of one request; safe to call any number of times, from any number of workers."""
    left = _start(runtime, ref, actor)
    if left is None:
        return _result(runtime, ref)
    order = list(left.tasks)
    if KINDS[left.kind].register_last:
        order.sort(key=lambda t: t[1] == REGISTER)  # systems first, the register last
    all_done = True
    for index, (task_id, target, action, state, attempts) in enumerate(order):
        if state == "failed" and attempts >= MAX_ATTEMPTS:
            all_done = False
            continue  # stands out to staff; `retry` resets the count
        # The last task of a drive that did all the others finishes the request in its own transaction.
        last = all_done and index == len(order) - 1
        if target == REGISTER:
            done, finished = _register_task(runtime, ref, task_id, action, actor, finish=last)
        else:
            done, finished = _system_task(runtime, ref, left, task_id, target, action, actor, finish=last)
        if finished:
            return _answer_if_automatic(runtime, ref, left, actor)
        all_done = all_done and done
    if not all_done:
        return _result(runtime, ref)
    return _finish(runtime, ref, left, actor)


def _result(runtime: Runtime, ref: str) -> DriveResult:
    with runtime.work(ACTOR) as work:
        req = cases.load(work.session, ref)
        return DriveResult(
            ref,
            req.state,
            cases.ready(req),
            sum(1 for t in req.tasks if t.state in ("pending", "waiting")),
            sum(1 for t in req.tasks if t.state == "failed"),
        )


def open_refs(runtime: Runtime) -> list[str]:
    """Requests with work a drive can do: verified, assessed (or waiting for it: cheap to look at), or in
    progress with tasks or a finish left."""
    with runtime.work(ACTOR) as work:
        return list(
            work.session.scalars(
                select(SubjectRequest.ref)
                .where(SubjectRequest.state.in_(("verified", "assessing", "in_progress")))
                .order_by(SubjectRequest.due_on, SubjectRequest.id)
            )
        )


def drive_open(runtime: Runtime, defer: Callable[[str], None] | None = None) -> int:
    """The job: re-drive every request left mid-way (after a crash, a failed system, a confirmed manual task).

    With `defer`, each open request is handed on as a task of its own (`defer(ref)`, one per request, which
    any worker may take) instead of being driven here; returns how many were driven or handed on."""
    driven = 0
    for ref in open_refs(runtime):
        if defer is not None:
            defer(ref)
            driven += 1
            continue
        try:
            drive_request(runtime, ref)
            driven += 1
        except Exception:  # one broken request must not stop the others; it stays open and visible
            log.exception("driving request %s failed", ref)
    return driven


# -- planning ------------------------------------------------------------------------------------------------


def _start(runtime: Runtime, ref: str, actor: Actor) -> _Left | None:
    """Plan the tasks of a verified request (`verified → in_progress`) and, in the same transaction, do the
    register's step when it reads or marks (an erasure's register step waits for the systems); then read what
    the tasks left need. None when there is nothing to do."""
    systems = _systems_for(runtime)
    with runtime.work(actor) as work:
        session = work.session
        req = cases.load(session, ref, lock=True)
        spec = KINDS[req.kind]
        start = req.state == "verified" and (not spec.approval or req.approved_at is not None)
        if start:
            cases.rematch(work, req)
            if assessment.wait_for_review(work, req):
                return None  # Art. 17(3): nothing irreversible until a person has decided what stays
        if req.state == "assessing" and assessment.decided(req):
            start = True
        if start:
            if spec.register_action == "erase":
                req.keep = assessment.plan_for(work, req).to_json()
            now = work.clock.now()
            for target, action in spec.plan(_portable(runtime, req.kind, systems)):
                task = SubjectRequestTask(
                    request_id=req.id,
                    target=target,
                    action=action,
                    state="pending",
                    attempts=0,
                    result={},
                    updated_at=now,
                )
                session.add(task)
                req.tasks.append(task)
            session.flush()
            cases.move(
                work, req, "in_progress", details={"tasks": len(req.tasks), "matched": req.person_ref is not None}
            )
            for task in req.tasks:
                if task.target == REGISTER and not spec.register_last:
                    _set(task, work, "done", _register_step(work, runtime, req, task.action), None)
        if req.state != "in_progress" or req.outcome.get("finished"):
            return None
        tasks = [
            (t.id, t.target, t.action, t.state, t.attempts)
            for t in req.tasks
            if t.state in ("pending", "failed", "waiting")
        ]
        keys = _keys(session, runtime, req) if tasks else SubjectKeys()
        written = bool(req.package_path)
        changes = _changes(work, req) if spec.register_action == "rectify" else {}
        keep = KeepPlan.from_json(req.keep)
        return _Left(req.kind, req.language, tasks, keys, req.person_ref or req.ref, written, changes, keep)


def _systems_for(runtime: Runtime) -> list[str]:
    """The connected systems, from the policy (their operational state is the systems module's concern)."""
    return [system.id for system in runtime.policy.systems]


def _portable(runtime: Runtime, kind: str, systems: list[str]) -> list[str]:
    if not KINDS[kind].portable_only:
        return systems
    # Art. 20(1)(a): only what is processed on consent or contract is portable.
    portable = {
        system for a in runtime.policy.activities if str(a.legal_basis) in _PORTABLE_BASES for system in a.systems
    }
    return [s for s in systems if s in portable]


# -- one task ----------------------------------------------------------------------------------------------


def _keys(session: Session, runtime: Runtime, req: SubjectRequest) -> SubjectKeys:
    """Every address the subject is known by: the one on the request and the register person's identities."""
    phones = (runtime.keys.decrypt(req.phone_enc, cases.PHONE),) if req.phone_enc else ()
    held = person_keys(session, runtime.keys, ref=req.person_ref)
    return held.plus(emails=(cases.contact_email(runtime.keys, req),), phones=phones)


def _system_task(
    runtime: Runtime, ref: str, left: _Left, task_id: int, target: str, action: str, actor: Actor, *, finish: bool
) -> tuple[bool, bool]:
    """One connected system's export or erasure (idempotent in `custos.systems.runs`), and the request's finish
    in the same transaction when it is the last task; returns (done, finished)."""
    from custos.systems import runs

    cause = f"request:{ref}"
    if action == "export":
        exported = runs.export_from_system(runtime, target, left.keys, subject_ref=left.subject_ref, cause=cause)
        state, error = exported.status, exported.error
        result: dict[str, Any] = {"tables": {t.table: len(t.rows) for t in exported.tables}}
        if state == "done":
            part: dict[str, Any] = {"system": target, "tables": [asdict(t) for t in exported.tables]}
            if exported.task_id is not None:  # searched by hand: the package says what the owner reported
                part["manual"] = _confirmation(runtime, exported.task_id, note=True)
                result["manual"] = _confirmation(runtime, exported.task_id)
            stage(runtime, ref, target, part)
            if finish:
                _write_package(runtime, ref, left)
        system_task = exported.task_id
    elif action == "rectify":
        from custos.systems.rectify import Rectification

        changes = Rectification.from_dict(left.changes)
        fixed = runs.rectify_in_system(runtime, target, left.keys, changes, subject_ref=left.subject_ref, cause=cause)
        state, error, system_task = fixed.status, fixed.error, fixed.task_id
        result = {"counts": fixed.counts, "fields": changes.describe()}
        if fixed.task_id is not None and state == "done":
            result["manual"] = _confirmation(runtime, fixed.task_id)
    else:
        erased = runs.erase_in_system(
            runtime, target, left.keys, subject_ref=left.subject_ref, cause=cause, keep=left.keep
        )
        state, error, system_task = erased.status, erased.error, erased.task_id
        result = {"counts": erased.counts, "kept": erased.kept}
        if erased.task_id is not None and state == "done":
            result["manual"] = _confirmation(runtime, erased.task_id)
    with runtime.work(actor) as work:
        task = work.session.get(SubjectRequestTask, task_id, with_for_update=True)
        if task is None or task.state == "done":
            return True, False
        _set(task, work, state, result, error)
        task.system_task_id = str(system_task) if system_task is not None else None
        if state != "done":  # a finished task is its own record; the work_done event sums them up
            req = cases.load(work.session, ref)
            details = {"system": target, "action": action, "attempt": task.attempts}
            cases.add_event(work, req, f"task_{state}", details=details)
            return False, False
        return True, finish and _finish_in(work, runtime, ref)


def _confirmation(runtime: Runtime, task_id: int, *, note: bool = False) -> dict[str, Any]:
    """What a manual system's owner reported on their task: fields, records, when (and their note, for the
    subject's own package only: the task result is stored in clear)."""
    from custos.systems.models import SystemTask
    from custos.systems.tasks import NOTE_FIELD

    with runtime.work(ACTOR) as work:
        task = work.session.get(SystemTask, task_id)
        if task is None or task.state != "done":
            return {"state": "open"}
        report: dict[str, Any] = {
            "state": "done",
            "fields": list(task.done_fields),
            "records": task.done_records,
            "done_at": task.done_at.isoformat() if task.done_at else None,
        }
        if note and task.note_enc is not None:
            report["note"] = runtime.keys.decrypt(task.note_enc, NOTE_FIELD)
        return report


def _set(task: SubjectRequestTask, work: Work, state: str, result: dict[str, Any], error: str | None) -> None:
    task.state = state
    task.result = result
    task.error = error
    task.updated_at = work.clock.now()
    if state != "waiting":
        task.attempts += 1


def _register_task(
    runtime: Runtime, ref: str, task_id: int, action: str, actor: Actor, *, finish: bool
) -> tuple[bool, bool]:
    """The register's step and its task's new state commit in one transaction (with the request's finish when
    it is the last task); returns (done, finished)."""
    with runtime.work(actor) as work:
        req = cases.load(work.session, ref, lock=True)
        task = next(t for t in req.tasks if t.id == task_id)
        if task.state == "done":
            return True, False
        if KINDS[req.kind].register_last and any(t.state != "done" for t in req.tasks if t.target != REGISTER):
            return False, False  # the systems are searched by the register's identities: they go first
        _set(task, work, "done", _register_step(work, runtime, req, action), None)
        return True, finish and not KINDS[req.kind].package and _finish_in(work, runtime, ref)


def _register_step(work: Work, runtime: Runtime, req: SubjectRequest, action: str) -> dict[str, Any]:
    """The register's part of the plan, in `work` (the task's unit); `runtime` is where export parts are staged."""
    from custos.register import restriction, suppression

    reference = f"request:{req.ref}"
    if action == "export":
        if req.person_ref is None:
            stage(runtime, req.ref, REGISTER, {"system": REGISTER, "person": None})
            return {"found": False}
        person = get_person(work, req.person_ref).model_dump(mode="json")
        if KINDS[req.kind].portable_only:
            person["relationships"] = [r for r in person["relationships"] if r["legal_basis"] in _PORTABLE_BASES]
        stage(runtime, req.ref, REGISTER, {"system": REGISTER, "person": person})
        return {"found": True, "relationships": len(person["relationships"])}
    if action == "erase":
        if req.person_ref is None:
            return {"found": False}
        rules = CompiledPolicy.of(work.policy)
        keep = KeepPlan.from_json(req.keep)
        done = erase_on_request(work, rules, req.person_ref, reference=reference, keep=keep)
        return {
            "found": True,
            "erased": done.erased,
            "held": done.held,
            "tombstone": done.tombstone_id,
            "counts": done.counts,
            "kept": done.kept,
        }
    if action == "suppress":
        email = cases.contact_email(work.keys, req)
        phone = work.keys.decrypt(req.phone_enc, cases.PHONE) if req.phone_enc else None
        suppression.suppress(work, email=email, phone=phone, source="objection", reference=reference)
        return {"suppressed": True}
    if req.person_ref is None:
        return {"found": False}
    if action == "restrict":
        why = KINDS[req.kind].restrict_reason or f"request, GDPR Art. {KINDS[req.kind].article}"
        restriction.restrict(work, req.person_ref, reason=why, reference=reference)
        return {"restricted": True}
    if action == "rectify":
        from custos.requests import rectify
        from custos.systems.rectify import Rectification

        return {"fields": rectify.apply(work, req, Rectification.from_dict(_changes(work, req)))}
    raise ValueError(f"unknown register action {action!r}")


def _changes(work: Work, req: SubjectRequest) -> dict[str, Any]:
    if req.changes_enc is None:
        return {}
    loaded: dict[str, Any] = json.loads(work.keys.decrypt(req.changes_enc, cases.CHANGES))
    return loaded


# -- finishing ------------------------------------------------------------------------------------------------


def _write_package(runtime: Runtime, ref: str, left: _Left) -> None:
    if KINDS[left.kind].package and not left.package_written:
        # Idempotent: written whole under a temporary name, then renamed into place.
        answers.write_package(runtime, ref, kind=left.kind, lang=left.language)


def _finish_in(work: Work, runtime: Runtime, ref: str) -> bool:
    """Record the finish in the caller's unit when every task is done; True when it did."""
    req = cases.load(work.session, ref, lock=True)
    if not cases.ready(req) or req.outcome.get("finished"):
        return False
    _record_outcome(work, runtime, req)
    return True


def _answer_if_automatic(runtime: Runtime, ref: str, left: _Left, actor: Actor) -> DriveResult:
    if KINDS[left.kind].auto_complete:
        answers.complete(runtime, ref, actor, note=None)
        return DriveResult(ref, "completed", True, 0, 0)
    return DriveResult(ref, "in_progress", True, 0, 0)


def _finish(runtime: Runtime, ref: str, left: _Left, actor: Actor) -> DriveResult:
    """Every task is done (a re-drive after a crash, or nothing was left): the package written, then in one
    transaction the outcome and Art. 19 notices, and one event that sums the work up (what each system did,
    audited); kinds that need no staff look are answered."""
    _write_package(runtime, ref, left)
    with runtime.work(actor) as work:
        finished = _finish_in(work, runtime, ref)
        req = cases.load(work.session, ref)
        state, ready = req.state, cases.ready(req)
    if finished:
        return _answer_if_automatic(runtime, ref, left, actor)
    return DriveResult(ref, state, ready, 0, 0)


def _record_outcome(work: Work, runtime: Runtime, req: SubjectRequest) -> None:
    spec = KINDS[req.kind]
    outcome: dict[str, Any] = {"finished": True, "systems": {t.target: t.result for t in req.tasks}}
    if spec.notify_recipients:
        outcome["recipients"] = answers.notify_recipients(work, req)
    if spec.register_action == "erase":
        # One line per kept category from the request's keep plan (what every system was told), then what a
        # system's own mapping kept (tables a period keeps) and a hold that kept the register.
        outcome["kept"] = KeepPlan.from_json(req.keep).summary() + [
            {"system": t.target, **({"what": f"{t.target}: {k['table']}"} if "table" in k else {}), **k}
            for t in req.tasks
            for k in t.result.get("kept", [])
            if isinstance(k, dict) and (t.target != REGISTER or k.get("reason") == "legal_hold")
        ]
    if spec.package:
        req.package_path = str(package_path(runtime, req.ref))
    req.outcome = outcome
    details = {"tasks": len(req.tasks), "systems": sorted(t.target for t in req.tasks)}
    cases.add_event(work, req, "work_done", details=details)
