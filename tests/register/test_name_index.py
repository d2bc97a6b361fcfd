"""Finding people by the words of their name while names stay encrypted (register.name_index): every writer of a
name keeps the tokens in step, a key rotation moves them, an erasure takes them, and `custos people reindex`
builds them for a register written before the index."""

from __future__ import annotations

import itertools
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from cli_run import run_cli
from custos.actor import Actor
from custos.audit.models import AuditEvent
from custos.casework.listing import PeopleFilter, list_people
from custos.crypto import load_key_file
from custos.register import name_index, people
from custos.register.csv_rows import COLUMNS
from custos.register.importer import import_file
from custos.register.models import PersonNameToken
from custos.register.rekey import rotate_keys
from custos.register.schemas import PersonCreate, PersonUpdate, RelationshipCreate
from custos.requests import rectify
from custos.retention.erase import erase_on_request
from custos.retention.rules import CompiledPolicy
from custos.runtime import Runtime, open_runtime
from custos.systems.rectify import Rectification

STAFF = Actor(kind="staff", id=1, label="staff:1")
_numbers = itertools.count()


def _add(runtime: Runtime, name: str) -> str:
    n = next(_numbers)
    with runtime.work(STAFF) as work:
        return people.add_person(
            work,
            PersonCreate(
                name=name,
                emails=[f"p{n}@example.se"],
                relationships=[RelationshipCreate(subject_category="prospect")],
            ),
        ).ref


def _found(runtime: Runtime, query: str) -> set[str]:
    with runtime.work(STAFF) as work:
        page = list_people(work, PeopleFilter(search=query), limit=500)
    return {row.ref for row in page.rows}


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("Åsa Müller", ["asa", "muller"]),
        ("ÅSA  MÜLLER", ["asa", "muller"]),
        ("Anna-Karin O'Brien", ["anna", "karin", "brien"]),  # "o" is one letter: dropped
        ("Søren Ærø", ["soren", "aero"]),
        ("José María d’Álvarez", ["jose", "maria", "alvarez"]),  # "d" dropped; a typographic apostrophe
        ("Straße", ["strasse"]),
        ("Lind Lind", ["lind"]),
        ("J. R.", []),
    ],
)
def test_names_are_normalised_and_split_into_words(name: str, words: list[str]) -> None:
    assert name_index.words(name) == words


def test_equal_words_give_equal_tokens_only_under_the_same_key(runtime: Runtime) -> None:
    ring = runtime.keys
    assert name_index.tokens(ring, "Åsa Müller") == name_index.tokens(ring, "asa muller")
    assert len(name_index.tokens(ring, "Åsa Müller")) == 2
    # The purpose label keeps a name token apart from any email or phone blind index of the same text.
    assert name_index.token(ring.active, "asa") != ring.blind_index("email", "asa")


def test_a_search_matches_whole_words_in_any_order_and_case(runtime: Runtime) -> None:
    anna = _add(runtime, "Anna Lindqvist")
    annika = _add(runtime, "Annika Lind")
    both = _add(runtime, "Lind, Anna")
    assert _found(runtime, "anna lind") == {both}
    assert _found(runtime, "ANNA") == {anna, both}
    assert _found(runtime, "lind") == {annika, both}
    assert _found(runtime, "Lindq") == set()  # no prefixes: a keyed hash has none
    assert _found(runtime, "Lindqvist") == {anna}


_LETTERS = "abcdefghijklmnopqrstuvwxyzåäöüéøæ"
_word = st.text(alphabet=_LETTERS, min_size=2, max_size=8)
_names = st.tuples(
    st.lists(_word, min_size=1, max_size=3),
    st.lists(st.sampled_from([" ", "-", "'", " - "]), min_size=3, max_size=3),
    st.booleans(),
)


def _spelled(parts: list[str], separators: list[str], upper: bool) -> str:
    words = [w.upper() if upper else w.capitalize() for w in parts]
    return "".join(w + (separators[i] if i < len(words) - 1 else "") for i, w in enumerate(words))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_names, stranger=_word)
def test_each_word_of_a_name_finds_the_person_and_a_word_they_lack_does_not(
    runtime: Runtime, name: tuple[list[str], list[str], bool], stranger: str
) -> None:
    spelled = _spelled(*name)
    ref = _add(runtime, spelled)
    words = name_index.words(spelled)
    assert words
    for word in words:
        assert ref in _found(runtime, word)
    assert ref in _found(runtime, " ".join(reversed(words)))
    if name_index.words(stranger)[0] not in words:  # "aä" is the word "aa": compared as normalised
        assert ref not in _found(runtime, f"{words[0]} {stranger}")


def test_a_correction_or_rectification_leaves_the_old_name_unfindable(runtime: Runtime) -> None:
    ref = _add(runtime, "Anna Lindqvist")
    with runtime.work(STAFF) as work:
        people.update_person(work, ref, PersonUpdate(name="Anna Berg"))
    assert _found(runtime, "lindqvist") == set()
    assert _found(runtime, "anna berg") == {ref}
    with runtime.work(STAFF) as work:
        request = SimpleNamespace(person_ref=ref, ref="R-NAME-1")
        changes = Rectification(fields={"name": "Anna Ek"})
        assert rectify.apply(work, request, changes) == ["name"]  # type: ignore[arg-type]
    assert _found(runtime, "berg") == set()
    assert _found(runtime, "ek") == {ref}


def test_after_an_erasure_no_word_finds_the_person(runtime: Runtime) -> None:
    ref = _add(runtime, "Per Holm")
    with runtime.work(STAFF) as work:
        erase_on_request(work, CompiledPolicy.of(runtime.policy), ref, reference="request:R-ERASE-1")
        assert work.session.scalar(select(func.count()).select_from(PersonNameToken)) == 0
    assert _found(runtime, "per") == set()
    assert _found(runtime, "holm") == set()


def test_an_import_indexes_new_people_and_a_changed_name(runtime: Runtime, tmp_path: Path) -> None:
    header = ",".join(COLUMNS["contacts"])
    path = tmp_path / "c.csv"
    path.write_text(f"{header}\nLena Holm,CTO,lena@fjord.no,,Fjord AS,,2015-01-01,,,,,CRM\n", encoding="utf-8")
    import_file(runtime, STAFF, path, "contacts")
    [lena] = _found(runtime, "lena holm")
    path.write_text(f"{header}\nLena Fjäll,CTO,lena@fjord.no,,Fjord AS,,2015-01-01,,,,,CRM\n", encoding="utf-8")
    import_file(runtime, STAFF, path, "contacts")
    assert _found(runtime, "holm") == set()
    assert _found(runtime, "lena fjall") == {lena}


def test_a_key_rotation_moves_the_tokens_to_the_new_key(runtime: Runtime) -> None:
    ref = _add(runtime, "Maja Ek")
    with runtime.db.transaction() as session:
        before = set(session.scalars(select(PersonNameToken.token)))
    rotate_keys(runtime, Actor.system("test"), runtime.settings.key_file)
    fresh = open_runtime(runtime.settings, runtime.clock)
    try:
        with fresh.work(STAFF) as work:
            after = set(work.session.scalars(select(PersonNameToken.token)))
            found = list_people(work, PeopleFilter(search="maja ek")).rows
        assert before.isdisjoint(after)  # nothing is left under the retired key
        assert after == name_index.tokens(load_key_file(runtime.settings.key_file), "Maja Ek")
        assert [row.ref for row in found] == [ref]
    finally:
        fresh.close()


def test_reindex_builds_the_tokens_of_people_written_before_the_index(
    runtime: Runtime, cli_env: dict[str, str], staff_factory: object
) -> None:
    ref = _add(runtime, "Ola Nordmann")
    with runtime.db.transaction() as session:
        session.execute(delete(PersonNameToken))  # as a register from before migration 0016 looks
    assert _found(runtime, "nordmann") == set()
    member = staff_factory("dpo")  # type: ignore[operator]
    code, output = run_cli(cli_env, "--as", member.email, "people", "reindex")
    assert code == 0, output
    assert "Indexed the names of 1 people" in output
    assert _found(runtime, "ola nordmann") == {ref}
    with runtime.db.transaction() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "register.reindex"))
        assert event is not None
        assert event.details == {"people": 1}
