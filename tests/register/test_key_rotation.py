"""`custos keys rotate`: everything re-encrypted under the new key, look-ups still work, resumable."""

from sqlalchemy import select

from custos.crypto import Key, KeyRing, load_key_file, write_key_file
from custos.register import people
from custos.register.models import Identity, Person
from custos.register.rekey import rotate_keys
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.runtime import Runtime, open_runtime


def _seed(runtime: Runtime) -> None:
    with runtime.db.transaction() as session:
        for i in range(3):
            people.add_person(
                session,
                runtime.register,
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
    report = rotate_keys(runtime.db, runtime.settings.key_file)
    assert (report.new_key_id, report.people, report.identities, report.retired_keys) == (2, 3, 3, [1])
    assert [k.id for k in load_key_file(runtime.settings.key_file).keys] == [2]
    fresh = open_runtime(runtime.settings, runtime.clock)
    try:
        assert _key_ids(fresh) == {2}
        with fresh.db.transaction() as session:
            assert people.find_person(session, fresh.register, "email", "p1@example.se").name == "Person 1"
    finally:
        fresh.close()


def test_a_rotation_that_died_half_way_is_finished_by_the_next_run(runtime: Runtime) -> None:
    _seed(runtime)
    ring = load_key_file(runtime.settings.key_file)
    # What a crash right after the first step leaves: the new key written, the database untouched.
    write_key_file(runtime.settings.key_file, KeyRing([*ring.keys, Key.generate(2)]))
    report = rotate_keys(runtime.db, runtime.settings.key_file)
    assert report.new_key_id == 2
    fresh = open_runtime(runtime.settings, runtime.clock)
    try:
        assert _key_ids(fresh) == {2}
        with fresh.db.transaction() as session:
            assert people.find_person(session, fresh.register, "email", "p2@example.se").name == "Person 2"
    finally:
        fresh.close()
