"""The suppression list (Art. 21(2)–(3)): an objection to direct marketing is kept as a keyed hash, survives a
re-import and a key rotation, and every addition is audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from custos.actor import Actor
from custos.audit.models import AuditEvent
from custos.errors import InvalidInput
from custos.register import people
from custos.register.objections_models import Suppression
from custos.register.rekey import rotate_keys
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.register.suppression import is_suppressed, person_suppressed, suppress
from custos.runtime import Runtime, open_runtime

ACTOR = Actor(kind="cli", id=None, label="cli:test")


def _add(runtime: Runtime, email: str) -> int:
    with runtime.work(ACTOR) as work:
        person = people.add_person(
            work,
            PersonCreate(name="Anna", emails=[email], relationships=[RelationshipCreate(subject_category="prospect")]),
        )
        return int(work.session.scalar(select(people.Person.id).where(people.Person.ref == person.ref)) or 0)


def test_suppress_is_idempotent_normalised_and_audited(runtime: Runtime) -> None:
    with runtime.work(ACTOR) as work:
        suppress(work, email=" Anna@Example.SE ", source="unsubscribe")
        suppress(work, email="anna@example.se", source="request")
    with runtime.work(ACTOR) as work:
        assert is_suppressed(work, email="ANNA@example.se")
        assert not is_suppressed(work, email="other@example.se")
        entries = list(work.session.scalars(select(Suppression)))
        assert len(entries) == 1
        # The database holds no address in clear text: only the keyed hash and the encrypted value.
        assert b"anna@example.se" not in entries[0].lookup + entries[0].value_enc
        events = list(work.session.scalars(select(AuditEvent).where(AuditEvent.action == "suppression.add")))
        assert len(events) == 2
        assert all("anna" not in (e.details_json or "") for e in events)


def test_a_later_import_of_the_same_address_is_still_suppressed(runtime: Runtime) -> None:
    with runtime.work(ACTOR) as work:
        suppress(work, email="late@example.se", source="unsubscribe")
    person_id = _add(runtime, "late@example.se")
    with runtime.work(ACTOR) as work:
        assert person_suppressed(work, person_id)


def test_phone_numbers_are_suppressed_in_e164(runtime: Runtime) -> None:
    with runtime.work(ACTOR) as work:
        suppress(work, phone="08-123 456 78", source="phone call")
        assert is_suppressed(work, phone="+46812345678")


def test_nothing_to_suppress_or_a_bad_address_is_refused(runtime: Runtime) -> None:
    with runtime.work(ACTOR) as work, pytest.raises(InvalidInput):
        suppress(work, source="x")
    with runtime.work(ACTOR) as work, pytest.raises(InvalidInput) as error:
        suppress(work, email="not an address", source="x")
    assert error.value.problems[0].location == "email"


def test_key_rotation_re_keys_the_suppression_list(runtime: Runtime) -> None:
    with runtime.work(ACTOR) as work:
        suppress(work, email="keep@example.se", source="unsubscribe")
    rotate_keys(runtime, Actor.system("test"), runtime.settings.key_file)
    fresh = open_runtime(runtime.settings, runtime.clock)
    try:
        assert [k.id for k in fresh.keys.keys] == [2]
        with fresh.work(ACTOR) as work:
            assert is_suppressed(work, email="keep@example.se")
        person_id = _add(fresh, "keep@example.se")
        with fresh.work(ACTOR) as work:
            assert person_suppressed(work, person_id)
    finally:
        fresh.close()
