"""Carrying out a batch of a sweep's tasks: re-check, delete, tombstone, audit, mark done — one transaction.

Nothing is trusted from planning time: each person's facts and holds are read again inside the transaction
that deletes them, so a relationship that is no longer due (a new interaction, the organisation became a
customer again) or a hold placed since stops the erasure (never early). The task's new state, the deletion,
its tombstone and its audit event commit together: after a crash a task is either done with all of them or
still pending with none, so running a batch again after a crash never erases twice or leaves one half done.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from custos.audit.actions import Action
from custos.clock import today
from custos.register.models import Identity, Person, Relationship
from custos.retention.keep import kept_on
from custos.retention.loader import load_people
from custos.retention.models import RetentionSweep, RetentionTask, Tombstone
from custos.retention.rules import CompiledPolicy
from custos.retention.verdict import PersonVerdict, RelationshipVerdict, judge_person
from custos.systems.kept import KeepPlan
from custos.work import Work

REGISTER_STEP = "register"
_IDENTITY_FIELDS = {"email", "phone"}


@dataclass
class BatchResult:
    erased: int = 0
    trimmed: int = 0
    skipped: int = 0
    notes: dict[str, int] = field(default_factory=dict)

    @property
    def done(self) -> int:
        return self.erased + self.trimmed + self.skipped


@dataclass
class _Erasure:
    task: RetentionTask
    verdict: PersonVerdict
    identity_ids: list[int]
    counts: dict[str, Any]
    keep: KeepPlan = field(default_factory=KeepPlan)  # what the law keeps of them on the day (custos.retention.keep)


def execute_batch(
    work: Work,
    rules: CompiledPolicy,
    sweep: RetentionSweep,
    tasks: Sequence[RetentionTask],
    system_counts: Mapping[int, dict[str, Any]] | None = None,
) -> BatchResult:
    """Carry out `tasks` (all pending, locked by the caller's transaction) and update the sweep's counts.

    `system_counts` (task id → {system: counts}) are what the task's earlier steps did in connected systems;
    they go into the tombstone beside the register's own counts.
    """
    session, clock = work.session, work.clock
    result = BatchResult()
    ids = [t.person_id for t in tasks]
    refs = dict(session.execute(select(Person.id, Person.ref).where(Person.id.in_(ids))).all())
    people = load_people(session, ids, today(clock))  # holds as they stand now, not as planned
    identities: dict[int, list[tuple[int, str]]] = {}
    for identity_id, person_id, kind in session.execute(
        select(Identity.id, Identity.person_id, Identity.kind).where(Identity.person_id.in_(ids))
    ):
        identities.setdefault(person_id, []).append((identity_id, kind))
    now = clock.now()
    erasures: list[_Erasure] = []
    skipped: list[dict[str, Any]] = []
    for task in tasks:
        # Ids can be reused once a row is gone (SQLite), so the ref must match the one planned.
        facts = people.get(task.person_id) if refs.get(task.person_id) == task.person_ref else None
        verdict = judge_person(rules, facts, sweep.as_of) if facts is not None else None
        if verdict is None or verdict.action == "keep":
            note = "gone" if verdict is None else ("held" if verdict.held else "not_due")
            result.notes[note] = result.notes.get(note, 0) + 1
            skipped.append({"task_id": task.id, "state": "skipped", "note": note, "done_at": now})
            continue
        erasure = _plan_deletion(task, verdict, identities.get(task.person_id, []))
        erasure.keep = kept_on(rules, facts, sweep.as_of)
        erasure.counts.update((system_counts or {}).get(task.id, {}))
        erasures.append(erasure)
    _delete(session, erasures)
    tombstones = _tombstones(session, rules, sweep, erasures, now)
    for item in erasures:
        _audit(work, sweep, item, tombstones[item.task.id])
    done = [
        {
            "task_id": item.task.id,
            "state": "done",
            "action": item.verdict.action,
            "tombstone_id": tombstones[item.task.id],
            "steps": {**item.task.steps, REGISTER_STEP: "done"},
            "done_at": now,
        }
        for item in erasures
    ]
    _set_task_states(session, done, skipped)
    result.erased = sum(1 for item in erasures if item.verdict.action == "erase")
    result.trimmed = len(erasures) - result.erased
    result.skipped = len(skipped)
    sweep.erased += result.erased
    sweep.trimmed += result.trimmed
    sweep.skipped += result.skipped
    return result


def _set_task_states(session: Session, done: list[dict[str, Any]], skipped: list[dict[str, Any]]) -> None:
    """Core executemany UPDATEs by id: the ORM's bulk path costs more than the statement here."""
    table = RetentionTask.__table__
    assert isinstance(table, Table)
    by_id = table.c.id == bindparam("task_id")
    if done:
        session.execute(
            update(table)
            .where(by_id)
            .values(
                state=bindparam("state"),
                action=bindparam("action"),
                tombstone_id=bindparam("tombstone_id"),
                steps=bindparam("steps"),
                done_at=bindparam("done_at"),
            ),
            done,
        )
    if skipped:
        session.execute(
            update(table)
            .where(by_id)
            .values(state=bindparam("state"), note=bindparam("note"), done_at=bindparam("done_at")),
            skipped,
        )


def _plan_deletion(task: RetentionTask, verdict: PersonVerdict, identities: list[tuple[int, str]]) -> _Erasure:
    removed = verdict.removed
    if verdict.action == "erase":
        identity_ids = [identity_id for identity_id, _ in identities]
        counts = {"person": 1, "identities": len(identity_ids), "relationships": len(removed), "fields": []}
    else:
        drop = set(verdict.drop_fields) & _IDENTITY_FIELDS
        identity_ids = [identity_id for identity_id, kind in identities if kind in drop]
        counts = {
            "person": 0,
            "identities": len(identity_ids),
            "relationships": len(removed),
            "fields": list(verdict.drop_fields),
        }
    return _Erasure(task, verdict, identity_ids, {REGISTER_STEP: counts})


def _delete(session: Session, erasures: list[_Erasure]) -> None:
    """Set-based deletes for the whole batch; children first, so no cascade is relied on."""
    identity_ids = [i for item in erasures for i in item.identity_ids]
    relationship_ids = [r.row.id for item in erasures for r in item.verdict.removed]
    erased = [item.task.person_id for item in erasures if item.verdict.action == "erase"]
    untitled = [
        item.task.person_id
        for item in erasures
        if item.verdict.action == "trim" and "title" in item.verdict.drop_fields
    ]
    for chunk in _chunks(identity_ids):
        session.execute(delete(Identity).where(Identity.id.in_(chunk)))
    for chunk in _chunks(relationship_ids):
        session.execute(delete(Relationship).where(Relationship.id.in_(chunk)))
    for chunk in _chunks(erased):
        session.execute(delete(Person).where(Person.id.in_(chunk)))
    if untitled:
        session.execute(update(Person).where(Person.id.in_(untitled)).values(title_enc=None))


def _chunks(values: list[int], size: int = 900) -> list[list[int]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def _entry(verdict: RelationshipVerdict, keep: KeepPlan) -> dict[str, Any]:
    """The tombstone's line for one relationship: its rule and due date, and what `keep` retains through it."""
    mine = [k for k in keep.entries if k.relationship == verdict.row.id]
    dates = [k.until for k in mine]
    until = None if not mine or any(d is None for d in dates) else max(d for d in dates if d is not None)
    return {
        "subject_category": verdict.row.subject_category,
        "activity": verdict.row.activity,
        "rule": verdict.rule,
        "anchor": verdict.anchor,
        "due_on": _iso(verdict.due_on),
        "state": "retained_under_law" if mine else "erased",
        "retained_until": _iso(until),
        "retained_categories": sorted({k.category for k in mine}),
        "laws": sorted({k.law for k in mine}),
    }


def _latest(keep: KeepPlan) -> date | None:
    """The last of the dates the kept categories stay until (None when nothing is kept, or none is dated)."""
    dates = [k.until for k in keep.entries if k.until is not None]
    return max(dates) if dates else None


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _tombstones(
    session: Session, rules: CompiledPolicy, sweep: RetentionSweep, erasures: list[_Erasure], now: Any
) -> dict[int, int]:
    if not erasures:
        return {}
    rows = []
    for item in erasures:
        removed = {r.row.id for r in item.verdict.removed}
        keep = KeepPlan(tuple(k for k in item.keep.entries if k.relationship in removed))
        entries = [_entry(r, keep) for r in item.verdict.removed]
        rows.append(
            {
                "sweep_id": sweep.id,
                "task_id": item.task.id,
                "subject_ref": item.task.person_ref,
                "action": item.verdict.action,
                "state": "retained_under_law" if keep else "erased",
                "retained_until": _latest(keep),
                "as_of": sweep.as_of,
                "erased_at": now,
                "counts": item.counts,
                "entries": entries,
            }
        )
    table = Tombstone.__table__
    assert isinstance(table, Table)
    session.execute(insert(table), rows)
    task_ids = [item.task.id for item in erasures]
    found = session.execute(select(Tombstone.task_id, Tombstone.id).where(Tombstone.task_id.in_(task_ids)))
    return {task_id: tombstone_id for task_id, tombstone_id in found if task_id is not None}


def _audit(work: Work, sweep: RetentionSweep, item: _Erasure, tombstone: int) -> None:
    counts = item.counts[REGISTER_STEP]
    removed = {r.row.id for r in item.verdict.removed}
    retained = sorted({k.category for k in item.keep.entries if k.relationship in removed})
    work.audit(
        Action.PERSON_ERASE if item.verdict.action == "erase" else Action.RELATIONSHIP_ERASE,
        subject=item.task.person_ref,
        purpose="storage limitation, GDPR Art. 5(1)(e)",
        reference=f"retention_sweep:{sweep.id}",
        details={
            "task": item.task.id,
            "tombstone": tombstone,
            "relationships": counts["relationships"],
            "identities": counts["identities"],
            "activities": sorted({r.row.activity for r in item.verdict.removed}),
            "fields": counts["fields"],
            "retained_categories": retained,
        },
    )


@dataclass(frozen=True)
class RequestErasure:
    """What an erasure request removed from the register, and what the law keeps (by category, law, date)."""

    erased: bool
    held: bool
    tombstone_id: int | None
    counts: dict[str, Any]
    kept: list[dict[str, Any]]


def erase_on_request(
    work: Work,
    rules: CompiledPolicy,
    person_ref: str,
    *,
    reference: str,
    keep: KeepPlan | None = None,
) -> RequestErasure:
    """Art. 17(1): erase one person now, whatever their relationships' own due dates, with the sweep's deletion
    and tombstone. A legal hold (Art. 17(3)(e)) keeps the person. What is kept elsewhere — by a law
    (Art. 17(3)(b)) or a reviewer's decision — is `keep` (the request's plan; by default `kept_on` today), named
    with its law and date in `kept` and in the tombstone, for the answer to the subject. The register's own
    copy goes either way: it is the index of the privacy work, not the record a law keeps.
    Idempotent: a person already gone gives `erased=False` and changes nothing."""
    session, clock = work.session, work.clock
    person_id = session.scalar(select(Person.id).where(Person.ref == person_ref))
    if person_id is None:
        return RequestErasure(False, False, None, {}, [])
    on = today(clock)
    facts = load_people(session, [person_id], on).get(person_id)
    verdicts = judge_person(rules, facts, on).relationships if facts is not None else ()
    if keep is None:
        keep = kept_on(rules, facts, on)
    if facts is not None and (facts.person_held or any(v.held for v in verdicts)):
        return RequestErasure(False, True, None, {}, [{"what": "register", "reason": "legal_hold"}])
    identities = [
        (i, k) for i, k in session.execute(select(Identity.id, Identity.kind).where(Identity.person_id == person_id))
    ]
    task = RetentionTask(person_id=person_id, person_ref=person_ref, steps={})  # transient: never added
    erasure = _plan_deletion(task, PersonVerdict(person_id, "erase", False, verdicts, ()), identities)
    _delete(session, [erasure])
    # The plan's entries are matched to the relationships they come from; a reviewer's decisions (no
    # relationship) count on the tombstone as a whole.
    fresh = kept_on(rules, facts, on)
    followed = set(keep.entries)
    by_relationship = KeepPlan(tuple(k for k in fresh.entries if k in followed))
    entries = [_entry(v, by_relationship) for v in verdicts]
    tombstone = Tombstone(
        sweep_id=None,
        task_id=None,
        subject_ref=person_ref,
        action="erase",
        state="retained_under_law" if keep else "erased",
        retained_until=_latest(keep),
        as_of=on,
        erased_at=clock.now(),
        counts=erasure.counts,
        entries=entries,
    )
    session.add(tombstone)
    session.flush()
    counts = erasure.counts[REGISTER_STEP]
    work.audit(
        Action.PERSON_ERASE,
        subject=person_ref,
        purpose="erasure request, GDPR Art. 17(1)",
        reference=reference,
        details={
            "tombstone": tombstone.id,
            "relationships": counts["relationships"],
            "identities": counts["identities"],
            "activities": sorted({v.row.activity for v in verdicts}),
            "retained_categories": sorted(keep.categories()),
        },
    )
    return RequestErasure(True, False, tombstone.id, dict(counts), keep.summary())
