"""A batch of the sweep carried out set-based: its statements do not grow with its people, and each task still
gets its own re-check, tombstone, audit event and state."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from retention_helpers import exists, tombstones
from sqlalchemy import delete, event, select, update

from conftest import SWEEPER, AddPerson, SweepOn, at
from custos.audit import AuditEvent
from custos.casework import holds as placing
from custos.clock import FixedClock
from custos.register.models import Identity, Person, Relationship
from custos.retention.models import RetentionTask
from custos.retention.schemas import HoldCreate
from custos.retention.sweep import run_sweep
from custos.runtime import Runtime

TODAY = date(2026, 11, 29)
OLD = {"subject_category": "prospect", "last_interaction_on": date(2012, 3, 1)}


@contextmanager
def _statements(runtime: Runtime) -> Iterator[list[str]]:
    """The SQL statements sent to the database meanwhile (an executemany counts once)."""
    sent: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(runtime.db.engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(runtime.db.engine, "before_cursor_execute", count)


def test_a_batch_sends_as_many_statements_for_thirty_people_as_for_three(
    runtime: Runtime, clock: FixedClock, add_person: AddPerson, sweep_on: SweepOn
) -> None:
    for i in range(3):
        add_person(f"few{i}@example.se", [OLD], phone=f"+46 70 100 00 0{i}")
    with _statements(runtime) as few:
        report = sweep_on(TODAY, batch=100)
    assert report.erased == 3
    for i in range(30):
        add_person(f"many{i}@example.se", [OLD], phone=f"+46 70 200 00 {i:02d}")
    with _statements(runtime) as many:
        report = sweep_on(date(2026, 11, 30), batch=100)
    assert report.erased == 30
    assert len(many) == len(few)


def test_each_task_is_judged_again_and_gets_its_own_tombstone_event_and_state(
    runtime: Runtime, clock: FixedClock, add_person: AddPerson
) -> None:
    erased = [add_person(f"due{i}@example.se", [OLD]) for i in range(3)]
    held = add_person("held@example.se", [OLD])
    met_again = add_person("met.again@example.se", [OLD])
    gone = add_person("gone@example.se", [OLD])
    clock.set(at(TODAY))

    def change_after_planning(phase: str, done: int, total: int) -> None:
        if phase != "planning":
            return
        with runtime.work(SWEEPER) as work:
            placing.add_hold(work, HoldCreate(person_ref=held, reason="Litigation hold"))
            session = work.session
            person_id = session.scalar(select(Person.id).where(Person.ref == met_again))
            session.execute(
                update(Relationship).where(Relationship.person_id == person_id).values(last_interaction_on=TODAY)
            )
            gone_id = session.scalar(select(Person.id).where(Person.ref == gone))
            for table in (Identity, Relationship):
                session.execute(delete(table).where(table.person_id == gone_id))
            session.execute(delete(Person).where(Person.id == gone_id))

    (report,) = run_sweep(runtime, SWEEPER, trigger="job", progress=change_after_planning)
    assert (report.planned, report.erased, report.skipped) == (6, 3, 3)
    assert exists(runtime, held)
    assert exists(runtime, met_again)
    with runtime.db.transaction() as session:
        tasks = {t.person_ref: t for t in session.scalars(select(RetentionTask))}
        events = {
            e.subject: e
            for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "person.erase"))
            if e.subject is not None
        }
    assert {ref: tasks[ref].note for ref in (held, met_again, gone)} == {
        held: "held",
        met_again: "not_due",
        gone: "gone",
    }
    for ref in (held, met_again, gone):
        assert (tasks[ref].state, tasks[ref].tombstone_id, tasks[ref].steps) == (
            "skipped",
            None,
            {"register": "pending"},
        )
        assert ref not in events
    assert set(events) == set(erased)
    for ref in erased:
        task = tasks[ref]
        (stone,) = tombstones(runtime, ref)
        assert not exists(runtime, ref)
        assert (task.state, task.action, task.steps, task.tombstone_id) == (
            "done",
            "erase",
            {"register": "done"},
            stone.id,
        )
        assert stone.task_id == task.id
        details = events[ref].details
        assert (details["task"], details["tombstone"], details["identities"]) == (task.id, stone.id, 1)
        assert "@" not in events[ref].details_json  # the subject is the ref; no email or name goes into the log
