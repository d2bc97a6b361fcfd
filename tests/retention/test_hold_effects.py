"""A legal hold placed after an erasure was ordered stops it: the owner's open task no longer lists anything to
erase and says the hold keeps it, the doctor finds no erase instruction against the hold, and it is audited."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from custos.actor import Actor
from custos.audit import AuditEvent
from custos.casework import holds as placing
from custos.invariants import InvariantContext, examine
from custos.register import people
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.retention.schemas import HoldCreate
from custos.runtime import Runtime
from custos.systems.kept import LEGAL_HOLD
from custos.systems.keys import SubjectKeys
from custos.systems.models import SystemTask
from custos.systems.tasks import open_task
from example_install import own_every_system

STAFF = Actor(kind="staff", id=None, label="staff:test")


def test_a_hold_placed_after_the_erase_task_keeps_what_the_task_would_erase(runtime: Runtime) -> None:
    own_every_system(runtime)
    data = PersonCreate(
        name="Petra Prospect",
        emails=["petra@example.se"],
        relationships=[RelationshipCreate(subject_category="prospect", last_interaction_on=date(2026, 5, 1))],
    )
    with runtime.work(STAFF) as work:
        ref = people.add_person(work, data).ref
    crm = runtime.policy.system("crm")
    task_id, _ = open_task(
        runtime,
        crm,
        SubjectKeys(emails=("petra@example.se",)),
        subject_ref=ref,
        cause="request:DSR-HOLD",
        operation="erase",
    )
    with runtime.db.transaction() as session:
        assert session.get_one(SystemTask, task_id).categories  # the owner is told to erase the contact details
    with runtime.work(STAFF) as work:
        placing.add_hold(work, HoldCreate(person_ref=ref, reason="Dispute 2026-41"))
    with runtime.db.transaction() as session:
        task = session.get_one(SystemTask, task_id)
        assert task.categories == []
        assert task.kept is not None
        assert {k["law"] for k in task.kept} == {LEGAL_HOLD}
        assert {k["category"] for k in task.kept} >= {"contact.email", "contact.name"}
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.hold_stops_erasure"))
        assert event.details["instructions"] == [f"system_task:{task_id}"]
    ctx = InvariantContext(policy=runtime.policy, on=date(2026, 11, 29), now=runtime.clock.now())
    with runtime.work(STAFF) as work:
        assert examine(work, ctx, only=["legal-retention-never-erased"]).healthy
