"""The database itself keeps evidence rows as they were written (migration 0007): a raw UPDATE or DELETE of a
consent record (GDPR Art. 7(1)), a tombstone (Art. 5(2)) or an incident timeline entry (Art. 33(5)) is refused,
on SQLite and PostgreSQL alike; only a tombstone's release after its legal retention goes through."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError

from custos.actor import Actor
from custos.consent import service
from custos.consent.service import Choice, Method
from custos.consent.terms import terms_for
from custos.incidents import service as incidents
from custos.incidents.schemas import IncidentCreate
from custos.retention.models import Tombstone
from custos.runtime import Runtime

OFFICER = Actor(kind="staff", id=1, label="staff:1")


def _refused(runtime: Runtime, statement: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"), runtime.db.transaction() as session:
        session.execute(text(statement))


def _done(runtime: Runtime, statement: str) -> int:
    with runtime.db.transaction() as session:
        return session.execute(text(statement)).rowcount  # type: ignore[attr-defined, no-any-return]


def _truncate_refused(runtime: Runtime, table: str) -> None:
    if runtime.db.engine.dialect.name == "postgresql":
        _refused(runtime, f"TRUNCATE {table}")


def test_consent_records_cannot_be_changed_or_removed(runtime: Runtime) -> None:
    with runtime.work(service.VISITOR) as work:
        choice = Choice({"analytics": True}, Method.BANNER)
        record = service.record_choice(work, terms_for(runtime.policy), None, choice)
        record_id = record.id
    _refused(runtime, f"UPDATE consent_record SET kind = 'refusal' WHERE id = '{record_id}'")
    _refused(runtime, f"DELETE FROM consent_record WHERE id = '{record_id}'")
    _truncate_refused(runtime, "consent_record")
    with runtime.work(service.VISITOR) as work:
        assert [r.kind for r in service.history(work, record.visitor_id)] == ["consent"]


def test_incident_timeline_entries_cannot_be_changed_or_removed(runtime: Runtime) -> None:
    with runtime.work(OFFICER) as work:
        data = IncidentCreate(summary="Laptop stolen", reported_by="IT", kinds=["confidentiality"])
        incidents.open_incident(work, data)
    _refused(runtime, "UPDATE incident_event SET note = 'nothing happened'")
    _refused(runtime, "DELETE FROM incident_event")
    _truncate_refused(runtime, "incident_event")
    with runtime.db.transaction() as session:
        assert session.execute(text("SELECT count(*) FROM incident_event")).scalar_one() >= 1


def test_tombstones_are_kept_and_only_released(runtime: Runtime) -> None:
    row = {
        "sweep_id": None,
        "task_id": None,
        "action": "erase",
        "as_of": dt.date(2026, 11, 29),
        "erased_at": runtime.clock.now(),
        "counts": {"register": {"person": 1}},
        "entries": [],
    }
    with runtime.db.transaction() as session:
        session.execute(
            insert(Tombstone),
            [
                {**row, "subject_ref": "a", "state": "erased", "retained_until": None},
                {**row, "subject_ref": "b", "state": "retained_under_law", "retained_until": dt.date(2033, 12, 31)},
            ],
        )
    _refused(runtime, "DELETE FROM tombstone WHERE subject_ref = 'a'")
    _refused(runtime, "UPDATE tombstone SET subject_ref = 'c' WHERE subject_ref = 'a'")
    _refused(runtime, "UPDATE tombstone SET state = 'released' WHERE subject_ref = 'a'")  # was never retained
    _refused(runtime, "UPDATE tombstone SET state = 'released', retained_until = NULL WHERE subject_ref = 'b'")
    _truncate_refused(runtime, "tombstone")
    # What the retention sweep does once the legal retention has run out (custos.retention.sweep._finish).
    assert _done(runtime, "UPDATE tombstone SET state = 'released' WHERE subject_ref = 'b'") == 1
    _refused(runtime, "UPDATE tombstone SET state = 'retained_under_law' WHERE subject_ref = 'b'")
    with runtime.db.transaction() as session:
        states = session.execute(text("SELECT subject_ref, state FROM tombstone ORDER BY subject_ref")).all()
    assert [tuple(r) for r in states] == [("a", "erased"), ("b", "released")]
