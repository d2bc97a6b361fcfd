"""One reading of a person's identities for every search of the connected systems (`person_keys`)."""

from custos.register.identities import person_keys
from custos.register.sealed import new_identity, new_person
from custos.requests import cases
from custos.requests.driver import _keys
from custos.requests.models import SubjectRequest
from custos.retention.systems_step import SystemSteps
from custos.runtime import Runtime


def _person(runtime: Runtime) -> tuple[str, int]:
    with runtime.db.transaction() as session:
        person = new_person(runtime.keys, ref="p-ext", name="Ada Ext", title=None, now=runtime.clock.now())
        person.identities = [
            new_identity(runtime.keys, "email", "ada@example.se"),
            new_identity(runtime.keys, "external", "CRM-4711"),
            new_identity(runtime.keys, "phone", "+46701234567"),
        ]
        session.add(person)
        session.flush()
        return person.ref, person.id


def test_the_register_reads_each_identity_under_its_own_kind(runtime: Runtime) -> None:
    ref, pid = _person(runtime)
    with runtime.db.transaction() as session:
        by_ref = person_keys(session, runtime.keys, ref=ref)
        by_id = person_keys(session, runtime.keys, person_id=pid)
        nobody = person_keys(session, runtime.keys, ref=None)
    assert by_ref == by_id
    assert (by_ref.emails, by_ref.phones, by_ref.external_ids) == (
        ("ada@example.se",),
        ("+46701234567",),
        ("CRM-4711",),
    )
    assert not nobody


def test_an_external_id_is_searched_as_an_external_id_by_a_request_and_by_a_sweep(runtime: Runtime) -> None:
    ref, pid = _person(runtime)
    req = SubjectRequest(
        email_enc=runtime.keys.encrypt("asked@example.se", cases.EMAIL),
        phone_enc=runtime.keys.encrypt("+46707654321", cases.PHONE),
        person_ref=ref,
    )
    with runtime.db.transaction() as session:
        request_keys = _keys(session, runtime, req)
        sweep_keys = SystemSteps(runtime)._identities(session, pid)
    for keys in (request_keys, sweep_keys):
        assert keys.values("external_id") == ("CRM-4711",)
        assert "CRM-4711" not in keys.phones
    # The request also searches by the addresses it came with, first.
    assert request_keys.emails == ("asked@example.se", "ada@example.se")
    assert request_keys.phones == ("+46707654321", "+46701234567")
    assert sweep_keys.emails == ("ada@example.se",)
