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

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session

from custos.audit.actions import Action
from custos.audit.log import Entry
from custos.clock import today
from custos.register.models import Identity, Person, Relationship
from custos.retention.among import among
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
    # What the law keeps on the day (custos.retention.keep) through the relationships this erasure removes.
    keep: KeepPlan = field(default_factory=KeepPlan)


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

    Set-based throughout, so a batch costs a fixed number of statements whatever its size: its people's facts,
    refs and identities are read in one query each, their deletions are one DELETE per table, their tombstones
    and their audit events one executemany INSERT each, and the tasks' new states one UPDATE per outcome.
    """
    session, clock = work.session, work.clock
    result = BatchResult()
    ids = [t.person_id for t in tasks]
    refs = dict(session.execute(select(Person.id, Person.ref).where(among(session, Person.id, ids))).all())
    people = load_people(session, ids, today(clock))  # holds as they stand now, not as planned
    identities: dict[int, list[tuple[int, str]]] = {}
    for identity_id, person_id, kind in session.execute(
        select(Identity.id, Identity.person_id, Identity.kind).where(among(session, Identity.person_id, ids))
    ):
        identities.setdefault(person_id, []).append((identity_id, kind))
    now = clock.now()
    erasures: list[_Erasure] = []
    skipped: dict[str, list[int]] = {}
    for task in tasks:
        # Ids can be reused once a row is gone (SQLite), so the ref must match the one planned.
        facts = people.get(task.person_id) if refs.get(task.person_id) == task.person_ref else None
        verdict = judge_person(rules, facts, sweep.as_of) if facts is not None else None
        if verdict is None or verdict.action == "keep":
            note = "gone" if verdict is None else ("held" if verdict.held else "not_due")
            skipped.setdefault(note, []).append(task.id)
            continue
        erasure = _plan_deletion(task, verdict, identities.get(task.person_id, []))
        removed = {r.row.id for r in verdict.removed}
        erasure.keep = KeepPlan(
            tuple(k for k in kept_on(rules, facts, sweep.as_of).entries if k.relationship in removed)
        )
        erasure.counts.update((system_counts or {}).get(task.id, {}))
        erasures.append(erasure)
    _delete(session, erasures)
    tombstones = _tombstones(session, sweep, erasures, now)
    work.audit_many(_event(sweep, item, tombstones[item.task.id]) for item in erasures)
    _set_task_states(session, erasures, skipped, now)
    result.notes = {note: len(task_ids) for note, task_ids in skipped.items()}
    result.erased = sum(1 for item in erasures if item.verdict.action == "erase")
    result.trimmed = len(erasures) - result.erased
    result.skipped = sum(result.notes.values())
    sweep.erased += result.erased
    sweep.trimmed += result.trimmed
    sweep.skipped += result.skipped
    return result


def _set_task_states(session: Session, erasures: list[_Erasure], skipped: dict[str, list[int]], now: Any) -> None:
    """The tasks' new states in one UPDATE per outcome (action and steps; or a skip's note), not one per task.

    Each done task points at its tombstone, found by the tombstone's unique `task_id`.
    """
    table = RetentionTask.__table__
    assert isinstance(table, Table)
    outcomes: dict[tuple[str, tuple[tuple[str, str], ...]], list[int]] = {}
    for item in erasures:
        steps = {**item.task.steps, REGISTER_STEP: "done"}
        outcomes.setdefault((item.verdict.action, tuple(sorted(steps.items()))), []).append(item.task.id)
    tombstone = select(Tombstone.id).where(Tombstone.task_id == table.c.id).scalar_subquery()
    for (action, outcome), task_ids in outcomes.items():
        for chunk in _chunks(task_ids):
            session.execute(
                update(table)
                .where(among(session, table.c.id, chunk))
                .values(state="done", action=action, steps=dict(outcome), tombstone_id=tombstone, done_at=now)
            )
    for note, task_ids in skipped.items():
        for chunk in _chunks(task_ids):
            session.execute(
                update(table).where(among(session, table.c.id, chunk)).values(state="skipped", note=note, done_at=now)
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
        session.execute(delete(Identity).where(among(session, Identity.id, chunk)))
    for chunk in _chunks(relationship_ids):
        session.execute(delete(Relationship).where(among(session, Relationship.id, chunk)))
    for chunk in _chunks(erased):
        session.execute(delete(Person).where(among(session, Person.id, chunk)))
    for chunk in _chunks(untitled):
        session.execute(update(Person).where(among(session, Person.id, chunk)).values(title_enc=None))


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


def _tombstones(session: Session, sweep: RetentionSweep, erasures: list[_Erasure], now: Any) -> dict[int, int]:
    """One tombstone per erasure, inserted together; task id → tombstone id."""
    if not erasures:
        return {}
    rows = [
        {
            "sweep_id": sweep.id,
            "task_id": item.task.id,
            "subject_ref": item.task.person_ref,
            "action": item.verdict.action,
            "state": "retained_under_law" if item.keep else "erased",
            "retained_until": _latest(item.keep),
            "as_of": sweep.as_of,
            "erased_at": now,
            "counts": item.counts,
            "entries": [_entry(r, item.keep) for r in item.verdict.removed],
        }
        for item in erasures
    ]
    table = Tombstone.__table__
    assert isinstance(table, Table)
    # A plain executemany and one read of the ids back is cheaper than INSERT … RETURNING here on both backends
    # (RETURNING makes SQLAlchemy render one long multi-row statement per page of rows).
    session.execute(insert(table), rows)
    task_ids = [item.task.id for item in erasures]
    found = session.execute(select(Tombstone.task_id, Tombstone.id).where(among(session, Tombstone.task_id, task_ids)))
    return {task_id: tombstone_id for task_id, tombstone_id in found if task_id is not None}


def _event(sweep: RetentionSweep, item: _Erasure, tombstone: int) -> Entry:
    """The erasure's audit event: the subject is the person's ref, the details counts and names, no personal data."""
    counts = item.counts[REGISTER_STEP]
    return Entry(
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
            "retained_categories": sorted(item.keep.categories()),
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
