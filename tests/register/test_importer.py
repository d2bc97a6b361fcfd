"""CSV import: whole file or nothing, every bad row named by line, idempotent re-import."""

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select

from custos.actor import Actor
from custos.audit import AuditEvent
from custos.errors import InvalidInput
from custos.register import importer, people
from custos.register.csv_rows import COLUMNS
from custos.register.importer import import_file
from custos.register.models import Organisation, OrganisationRole, Person, Relationship
from custos.runtime import Runtime

HEADER = ",".join(COLUMNS["contacts"])
ACTOR = Actor(kind="cli", id=1, label="cli:staff:1")


def write(path: Path, *rows: str, header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


GOOD = [
    "Anna Lindqvist,CTO,anna@nordkod.se,070-123 45 67,Nordkod AB,556677-8899,2018-03-01,,,,2026-10-01,CRM",
    "Per Ek,System administrator,per@nordkod.se,,Nordkod AB,556677-8899,2018-03-01,,,,,CRM",
    "Lena Holm,Procurement,lena@fjord.no,,Fjord AS,,2015-01-01,2020-12-31,,,,CRM",
]


def count(runtime: Runtime, model: type) -> int:
    with runtime.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_contacts_import_creates_people_organisations_and_roles(runtime: Runtime, tmp_path: Path) -> None:
    report = import_file(runtime, ACTOR, write(tmp_path / "c.csv", *GOOD), "contacts")
    assert (report.rows, report.people_created, report.organisations_created) == (3, 3, 2)
    with runtime.work(ACTOR) as work:
        anna = people.find_person(work, "email", "ANNA@nordkod.se")
        assert anna.phones == ["+46701234567"]
        assert anna.relationships[0].subject_category == "customer_contact"
        assert anna.relationships[0].organisation_name == "Nordkod AB"
        roles = work.session.execute(
            select(Organisation.name, OrganisationRole.started_on, OrganisationRole.ended_on).join(OrganisationRole)
        ).all()
    assert sorted((n, str(s), str(e)) for n, s, e in roles) == [
        ("Fjord AS", "2015-01-01", "2020-12-31"),
        ("Nordkod AB", "2018-03-01", "None"),
    ]


def test_reimporting_the_same_file_changes_nothing(runtime: Runtime, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", *GOOD)
    import_file(runtime, ACTOR, path, "contacts")
    before = [count(runtime, m) for m in (Person, Relationship, Organisation, OrganisationRole)]
    again = import_file(runtime, ACTOR, path, "contacts")
    assert (again.people_created, again.people_updated, again.relationships_created, again.unchanged) == (
        0,
        0,
        0,
        3,
    )
    assert [count(runtime, m) for m in (Person, Relationship, Organisation, OrganisationRole)] == before


def test_a_changed_row_updates_the_person(runtime: Runtime, tmp_path: Path) -> None:
    import_file(runtime, ACTOR, write(tmp_path / "c.csv", *GOOD), "contacts")
    changed = GOOD[0].replace("Anna Lindqvist,CTO", "Anna Berg,CEO")
    report = import_file(runtime, ACTOR, write(tmp_path / "d.csv", changed), "contacts")
    assert report.people_updated == 1
    with runtime.work(ACTOR) as work:
        anna = people.find_person(work, "email", "anna@nordkod.se")
    assert (anna.name, anna.title) == ("Anna Berg", "CEO")


def test_bad_rows_are_all_reported_and_nothing_is_imported(runtime: Runtime, tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.csv",
        GOOD[0],
        "No Email,CTO,,,Nordkod AB,,,,,,,",
        "Bad Date,CTO,bad@nordkod.se,,Nordkod AB,,2018-13-01,,,,,",
        "Bad Mail,CTO,not-an-email,,Nordkod AB,,,,,,,",
        GOOD[1],
    )
    with pytest.raises(InvalidInput) as raised:
        import_file(runtime, ACTOR, path, "contacts")
    lines = {p.line: p.message for p in raised.value.problems}
    assert sorted(lines) == [3, 4, 5]
    assert "needs an email or a phone" in lines[3]
    assert "customer_since '2018-13-01' is not a date" in lines[4]
    assert "not a valid email" in lines[5]
    assert "nothing was imported" in raised.value.message
    assert count(runtime, Person) == 0


def test_skip_invalid_imports_good_rows_and_writes_rejects(runtime: Runtime, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", GOOD[0], "Bad Mail,CTO,not-an-email,,Nordkod AB,,,,,,,", GOOD[1])
    rejects = tmp_path / "rejects.csv"
    report = import_file(runtime, ACTOR, path, "contacts", skip_invalid=True, rejects_path=rejects)
    assert (report.people_created, report.rejected) == (2, 1)
    with rejects.open() as handle:
        [row] = list(csv.DictReader(handle))
    assert (row["name"], row["line"]) == ("Bad Mail", "3")
    assert "not a valid email" in row["error"]


def test_header_problems_are_reported_on_line_one(runtime: Runtime, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "Anna,anna@x.se", header="fullname,email")
    with pytest.raises(InvalidInput) as raised:
        import_file(runtime, ACTOR, path, "contacts")
    messages = " ".join(p.message for p in raised.value.problems)
    assert "unknown column(s) fullname" in messages
    assert "missing column(s) name, organisation" in messages
    assert {p.line for p in raised.value.problems} == {1}


def test_prospects_are_dated_from_the_meeting(runtime: Runtime, tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.csv",
        "Eva Sund,Architect,eva@moln.se,,Moln AB,,2017-05-10,,Cloud fair Stockholm 2017",
        header="name,title,email,phone,organisation,org_number,met_on,last_interaction_on,source",
    )
    import_file(runtime, ACTOR, path, "prospects")
    with runtime.work(ACTOR) as work:
        eva = people.find_person(work, "email", "eva@moln.se")
    [rel] = eva.relationships
    assert rel.subject_category == "prospect"
    assert (str(rel.started_on), str(rel.collected_on), str(rel.last_interaction_on)) == ("2017-05-10",) * 3
    assert rel.source == "Cloud fair Stockholm 2017"


def test_progress_reaches_the_end_of_the_file(runtime: Runtime, tmp_path: Path) -> None:
    rows = [f"P{i},CTO,p{i}@nordkod.se,,Nordkod AB,,,,,,," for i in range(2500)]
    path = write(tmp_path / "c.csv", *rows)
    seen: list[tuple[str, int, int]] = []
    import_file(runtime, ACTOR, path, "contacts", progress=lambda *step: seen.append(step))
    checking = [done for phase, done, _ in seen if phase == "checking"]
    importing = [(done, total) for phase, done, total in seen if phase == "importing"]
    assert checking == sorted(checking)
    assert checking[-1] == path.stat().st_size
    assert importing == [(1000, 2500), (2000, 2500), (2500, 2500)]
    assert count(runtime, Person) == 2500


def test_more_organisations_than_the_importer_remembers(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "ORG_CACHE", 2500)
    rows = [f"P{i},CTO,p{i}@org{i % 4000}.se,,Org {i % 4000},,2020-01-01,,,,," for i in range(6000)]
    path = write(tmp_path / "c.csv", *rows)
    first = import_file(runtime, ACTOR, path, "contacts")
    assert (first.people_created, first.organisations_created) == (6000, 4000)
    again = import_file(runtime, ACTOR, path, "contacts")
    assert (again.organisations_created, again.unchanged) == (0, 6000)
    assert count(runtime, Organisation) == 4000
    assert count(runtime, OrganisationRole) == 4000


def _imports(runtime: Runtime) -> list[AuditEvent]:
    with runtime.db.transaction() as session:
        found = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "person.import")))
        session.expunge_all()
        return found


def test_the_import_is_audited_with_its_counts_by_the_importer(runtime: Runtime, tmp_path: Path) -> None:
    report = import_file(runtime, ACTOR, write(tmp_path / "c.csv", *GOOD), "contacts", details={"via": "test"})
    [event] = _imports(runtime)
    assert (event.outcome, event.actor_label) == ("ok", ACTOR.label)
    assert event.details == {"kind": "contacts", "via": "test", **report.counts()}
    assert "anna" not in (event.details_json or "").lower()  # counts, never rows


def test_a_refused_import_is_audited_as_rejected_and_writes_nothing_else(runtime: Runtime, tmp_path: Path) -> None:
    refused: list[str] = []
    path = write(tmp_path / "c.csv", GOOD[0], "No Email,CTO,,,Nordkod AB,,,,,,,")
    with pytest.raises(InvalidInput):
        import_file(runtime, ACTOR, path, "contacts", on_reject=lambda work, exc: refused.append(exc.message))
    [event] = _imports(runtime)
    assert (event.outcome, event.details) == ("rejected", {"kind": "contacts", "problems": 1})
    assert len(refused) == 1  # the caller's own record of the refusal, in the unit of its event
    assert count(runtime, Person) == 0
