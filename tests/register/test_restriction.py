"""Restriction of processing (Art. 18): on until lifted with a reason; both steps audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from custos.actor import Actor
from custos.audit.models import AuditEvent
from custos.errors import Conflict, InvalidInput, NotFound
from custos.register import people
from custos.register.models import Person
from custos.register.restriction import is_restricted, lift, restrict
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.runtime import Runtime

ACTOR = Actor(kind="cli", id=None, label="cli:test")


def _person(runtime: Runtime) -> tuple[str, int]:
    with runtime.work(ACTOR) as work:
        ref = people.add_person(
            work,
            PersonCreate(
                name="Bo", emails=["bo@example.se"], relationships=[RelationshipCreate(subject_category="prospect")]
            ),
        ).ref
        return ref, int(work.session.scalar(select(Person.id).where(Person.ref == ref)) or 0)


def test_restrict_then_lift(runtime: Runtime) -> None:
    ref, person_id = _person(runtime)
    with runtime.work(ACTOR) as work:
        restrict(work, ref, reason="accuracy contested", reference="REQ-1")
        restrict(work, ref, reason="again")  # already restricted: no second period
    with runtime.work(ACTOR) as work:
        assert is_restricted(work, person_id)
        lift(work, ref, reason="data verified, subject told (Art. 18(3))")
    with runtime.work(ACTOR) as work:
        assert not is_restricted(work, person_id)
        actions = list(work.session.scalars(select(AuditEvent.action).where(AuditEvent.subject == ref)))
        assert actions.count("restriction.add") == 1
        assert actions.count("restriction.lift") == 1


def test_lifting_what_is_not_restricted_or_without_reason_is_refused(runtime: Runtime) -> None:
    ref, _ = _person(runtime)
    with runtime.work(ACTOR) as work, pytest.raises(Conflict):
        lift(work, ref, reason="no")
    with runtime.work(ACTOR) as work, pytest.raises(InvalidInput):
        restrict(work, ref, reason="  ")
    with runtime.work(ACTOR) as work, pytest.raises(NotFound):
        restrict(work, "no-such-ref", reason="x")
