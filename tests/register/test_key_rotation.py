"""`custos keys rotate`: everything re-encrypted under the new key, look-ups still work, resumable."""

import pytest
from sqlalchemy import Column, Integer, LargeBinary, MetaData, Table, select

from custos.actor import Actor
from custos.crypto import Key, KeyRing, load_key_file, write_key_file
from custos.db.sealed import sealed_tables, undeclared
from custos.errors import ConfigurationError
from custos.register import people
from custos.register.models import Identity, Person
from custos.register.rekey import rotate_keys
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.requests import cases
from custos.requests.schemas import RequestCreate
from custos.runtime import Runtime, open_runtime
from custos.systems.keys import SubjectKeys
from custos.systems.models import SystemTask
from custos.systems.tasks import NOTE_FIELD, decrypt_keys, encrypt_keys
from custos.tables import Base
from custos.work import Work


def _seed(runtime: Runtime) -> None:
    with runtime.work(Actor.system("test")) as work:
        for i in range(3):
            people.add_person(
                work,
                PersonCreate(
                    name=f"Person {i}",
                    title="CTO",
                    emails=[f"p{i}@example.se"],
                    relationships=[RelationshipCreate(subject_category="prospect")],
                ),
            )


def _key_ids(runtime: Runtime) -> set[int]:
    ring = load_key_file(runtime.settings.key_file)
    with runtime.db.transaction() as session:
        blobs = [*session.scalars(select(Person.name_enc)), *session.scalars(select(Identity.value_enc))]
    return {ring.key_id_of(b) for b in blobs} if blobs else set()


def test_rotation_re_encrypts_and_retires_the_old_key(runtime: Runtime) -> None:
    _seed(runtime)
    report = rotate_keys(runtime, Actor.system("test"), runtime.settings.key_file)
    assert (report.new_key_id, report.people, report.identities, report.retired_keys) == (2, 3, 3, [1])
    assert [k.id for k in load_key_file(runtime.settings.key_file).keys] == [2]
    fresh = open_runtime(runtime.settings, runtime.clock)
    try:
        assert _key_ids(fresh) == {2}
        with fresh.work(Actor.system("test")) as work:
            assert people.find_person(work, "email", "p1@example.se").name == "Person 1"
    finally:
        fresh.close()


def test_a_rotation_that_died_half_way_is_finished_by_the_next_run(runtime: Runtime) -> None:
    _seed(runtime)
    ring = load_key_file(runtime.settings.key_file)
    # What a crash right after the first step leaves: the new key written, the database untouched.
    write_key_file(runtime.settings.key_file, KeyRing([*ring.keys, Key.generate(2)]))
    report = rotate_keys(runtime, Actor.system("test"), runtime.settings.key_file)
    assert report.new_key_id == 2
    fresh = open_runtime(runtime.settings, runtime.clock)
    try:
        assert _key_ids(fresh) == {2}
        with fresh.work(Actor.system("test")) as work:
            assert people.find_person(work, "email", "p2@example.se").name == "Person 2"
    finally:
        fresh.close()


def test_every_encrypted_column_in_custos_is_declared_for_rotation() -> None:
    # The old keys are removed at the end of a rotation: a sealed column the rotation does not know of would be
    # unreadable afterwards. Every module that writes one declares it (custos.db.sealed.seal); the app loads them.
    import custos.app  # noqa: F401  (loads every module that declares a sealed column)

    found = {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith("_enc")
    }
    assert found, "the schema has sealed columns"
    assert undeclared(found) == set()
    declared = {(s.table_name, column) for s in sealed_tables() for column in s.fields}
    assert declared <= found, "a declaration names a column the schema does not have"


def test_a_sealed_column_nobody_declared_stops_the_rotation_before_the_key_changes(runtime: Runtime) -> None:
    _seed(runtime)
    before = load_key_file(runtime.settings.key_file)
    with runtime.db.transaction() as session:
        Table("stray", MetaData(), Column("id", Integer, primary_key=True), Column("secret_enc", LargeBinary)).create(
            session.connection()
        )
    with pytest.raises(ConfigurationError, match=r"stray\.secret_enc"):
        rotate_keys(runtime, Actor.system("test"), runtime.settings.key_file)
    assert [k.id for k in load_key_file(runtime.settings.key_file).keys] == [k.id for k in before.keys]
    assert _key_ids(runtime) == {before.active.id}


def test_requests_and_system_tasks_are_readable_and_found_after_a_rotation(runtime: Runtime) -> None:
    staff = Actor(kind="staff", id=1, label="staff:1")
    data = RequestCreate(
        kind="access",
        email="Rotated@Example.se",
        phone="070-123 45 67",
        details="Everything you hold.",
        received_at=runtime.clock.now(),
    )
    with runtime.db.transaction() as session:
        work = Work(session, runtime.clock, runtime.keys, runtime.policy, staff)
        req, _secret = cases.create(work, data, channel="staff")
        ref = req.ref
        session.add(
            SystemTask(
                system_id="crm",
                subject_ref="p-1",
                cause=f"request:{ref}",
                operation="erase",
                state="open",
                categories=["contact"],
                done_fields=[],
                created_at=runtime.clock.now(),
                identities_enc=encrypt_keys(runtime.keys, SubjectKeys.of(emails=("rotated@example.se",))),
                note_enc=runtime.keys.encrypt("checked the CRM", NOTE_FIELD),
            )
        )
    rotate_keys(runtime, Actor.system("test"), runtime.settings.key_file)
    fresh = open_runtime(runtime.settings, runtime.clock)
    try:
        keys = fresh.keys
        assert [k.id for k in keys.keys] == [2]  # the old key is gone: only a re-encrypted value can be read
        with fresh.db.transaction() as session:
            req = cases.load(session, ref)
            assert cases.contact_email(keys, req) == "rotated@example.se"
            assert req.email_lookup == keys.blind_index("email", "rotated@example.se")
            assert req.details_enc is not None
            assert keys.decrypt(req.details_enc, cases.DETAILS) == "Everything you hold."
            task = session.scalars(select(SystemTask)).one()
            assert task.identities_enc is not None
            assert task.note_enc is not None
            assert decrypt_keys(keys, task.identities_enc).emails == ("rotated@example.se",)
            assert keys.decrypt(task.note_enc, NOTE_FIELD) == "checked the CRM"
    finally:
        fresh.close()
