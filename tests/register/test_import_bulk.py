"""The importer's fast paths keep its checks: worker processes check as this process does, bulk writes store
what the ORM would, a clash of identities still fails as an IntegrityError, lines are numbered as the upload
preview numbers them."""

import csv
import threading
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from custos.actor import Actor
from custos.errors import InvalidInput
from custos.register import bulk, import_check, name_index, people, sealed
from custos.register.csv_rows import COLUMNS
from custos.register.importer import ImportReport, import_file
from custos.register.models import Identity, Organisation, Person, PersonNameToken, Relationship
from custos.register.uploads import check_text
from custos.runtime import Runtime

HEADER = ",".join(COLUMNS["contacts"])
ACTOR = Actor(kind="cli", id=1, label="cli:staff:1")


def table(model: type[Any]) -> Table:
    found = model.__table__
    assert isinstance(found, Table)
    return found


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def mixed_rows(n: int) -> list[str]:
    """Good contacts, with a bad row every 97th, a phone on every third, and a multi-line title now and then."""
    rows = []
    for i in range(n):
        if i % 97 == 5:
            rows.append(f"Bad {i},CTO,not-an-email-{i},,Org {i % 40},,2020-01-01,,,,,CRM")
            continue
        title = '"Head of\nsales"' if i % 250 == 7 else "CTO"
        phone = f"+4670{i:07d}" if i % 3 == 0 else ""
        rows.append(f"Åsa Lind-{i},{title},p{i}@org{i % 40}.se,{phone},Org {i % 40},,2020-01-01,,,,2026-01-01,CRM")
    return rows


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every file is checked by two workers; yields the worker counts of the pools started."""
    started: list[int] = []

    class Counted(ProcessPoolExecutor):
        def __init__(self, workers: int, **kwargs: Any) -> None:
            started.append(workers)
            super().__init__(workers, **kwargs)

    monkeypatch.setattr(import_check, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(import_check, "FORKSERVER_MIN_BYTES", 0)
    monkeypatch.setattr(import_check.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(import_check, "ProcessPoolExecutor", Counted)
    return started


def _import(runtime: Runtime, path: Path, rejects: Path) -> ImportReport:
    return import_file(runtime, ACTOR, path, "contacts", skip_invalid=True, rejects_path=rejects)


def test_workers_check_and_seal_rows_as_this_process_does(
    runtime: Runtime, tmp_path: Path, pools: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "c.csv", mixed_rows(2500))
    report = _import(runtime, path, tmp_path / "rejects-pool.csv")
    assert pools == [2]
    monkeypatch.setattr(import_check, "POOL_MIN_BYTES", 2**62)  # the same file again, in this process
    again = _import(runtime, path, tmp_path / "rejects-here.csv")
    assert pools == [2]
    bad = [i for i in range(2500) if i % 97 == 5]
    assert (report.rows, report.rejected, report.people_created) == (2500, len(bad), 2500 - len(bad))
    assert (again.people_created, again.people_updated, again.unchanged) == (0, 0, 2500 - len(bad))
    assert [(p.line, p.message) for p in report.problems] == [(p.line, p.message) for p in again.problems]
    assert (tmp_path / "rejects-pool.csv").read_text() == (tmp_path / "rejects-here.csv").read_text()
    with runtime.work(ACTOR) as work:
        found = people.find_person(work, "email", "p2498@org18.se")
        assert (found.name, found.phones) == ("Åsa Lind-2498", [])
        assert people.find_person(work, "email", "p2400@org0.se").phones == ["+46700002400"]
        by_name = name_index.matching(work.keys, "asa lind 1234")
        assert by_name is not None
        [ref] = work.session.scalars(select(Person.ref).where(by_name)).all()
        assert ref == people.find_person(work, "email", "p1234@org34.se").ref


def test_a_multi_line_field_is_numbered_as_the_upload_preview_numbers_it(
    runtime: Runtime, tmp_path: Path, pools: list[int]
) -> None:
    rows = mixed_rows(300)
    path = write(tmp_path / "c.csv", [*rows[:100], "", *rows[100:]])  # and a blank line, which is no row
    with pytest.raises(InvalidInput) as raised:
        import_file(runtime, ACTOR, path, "contacts")
    preview = check_text(path.read_text(encoding="utf-8"), "contacts", path.name, "SE")
    assert [(p.line, p.message) for p in raised.value.problems] == [(p.line, p.message) for p in preview.problems]
    # Row 5 on line 7; then a title over two lines; the row after the blank line is counted from the blank line.
    assert [p.line for p in raised.value.problems] == [7, 106, 203, 301]


def test_a_phone_two_new_people_give_fails_as_an_integrity_error_with_nothing_written(
    runtime: Runtime, tmp_path: Path
) -> None:
    # The demo seed turns exactly this error into its clash message (demo/seed.py).
    path = write(
        tmp_path / "c.csv",
        [
            "Anna Lind,CTO,anna@nordkod.se,070-123 45 67,Nordkod AB,,2018-03-01,,,,,CRM",
            "Per Ek,CTO,per@nordkod.se,070-123 45 67,Nordkod AB,,2018-03-01,,,,,CRM",
        ],
    )
    with pytest.raises(IntegrityError):
        import_file(runtime, ACTOR, path, "contacts")
    with runtime.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 0


def test_bulk_rows_are_stored_as_an_insert_stores_them(runtime: Runtime) -> None:
    now = datetime(2026, 11, 29, 10, 0, 0, 123456, tzinfo=UTC)
    columns = ("person_id", "subject_category", "activity", "organisation_id", "legal_basis", "started_on")
    columns += ("ended_on", "last_interaction_on", "collected_on", "source", "created_at", "updated_at")
    with runtime.work(ACTOR) as work:
        session = work.session
        [org] = bulk.next_ids(session, table(Organisation), 1)
        bulk.insert_rows(session, table(Organisation), ("id", "name", "created_at"), [(org, "Moln AB", now)])
        ids = bulk.next_ids(session, table(Person), 2)
        person = [(pid, f"ref-{pid}", sealed.person_columns(work.keys, "Eva", None)["name_enc"]) for pid in ids]
        session.execute(
            insert(Person),
            [{"id": p, "ref": r, "name_enc": n, "created_at": now, "updated_at": now} for p, r, n in person],
        )
        values = [
            (
                pid,
                "customer_contact",
                "crm",
                org,
                "contract",
                date(2020, 1, 2),
                None,
                date(2021, 3, 4),
                date(2020, 1, 2),
            )
            for pid in ids
        ]
        by_insert, by_bulk = values[0] + ("CRM", now, now), values[1] + ("CRM", now, now)
        session.execute(insert(Relationship), [dict(zip(columns, by_insert, strict=True))])
        bulk.insert_rows(session, table(Relationship), columns, [by_bulk])
        stored = session.execute(text(f"SELECT {', '.join(columns[1:])} FROM relationship ORDER BY person_id")).all()
        assert stored[0] == stored[1]
        assert ids[1] == ids[0] + 1 or session.get_bind().dialect.name == "postgresql"
        assert session.scalar(select(func.count()).select_from(PersonNameToken)) == 0
        assert session.scalar(select(func.count()).select_from(Identity)) == 0


def test_rejects_of_a_short_row_are_written_with_its_missing_cells_empty(
    runtime: Runtime, tmp_path: Path, pools: list[int]
) -> None:
    path = write(tmp_path / "c.csv", ["Anna Lind,CTO,anna@nordkod.se,,Nordkod AB,,2018-13-01"])
    rejects = tmp_path / "rejects.csv"
    report = _import(runtime, path, rejects)
    assert report.rejected == 1
    with rejects.open(newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert (row["customer_since"], row["source"], row["line"]) == ("2018-13-01", "", "2")


def test_with_other_threads_running_the_workers_come_from_a_forkserver(
    runtime: Runtime, tmp_path: Path, pools: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    methods: list[str] = []
    context = import_check._context

    def spied() -> BaseContext:
        chosen = context()
        methods.append(chosen.get_start_method())
        return chosen

    monkeypatch.setattr(import_check, "_context", spied)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)  # as a web server's threads would be
    other.start()
    try:
        report = _import(runtime, write(tmp_path / "c.csv", mixed_rows(96)), tmp_path / "rejects.csv")
    finally:
        stop.set()
        other.join()
    assert (methods, pools, report.people_created, report.rejected) == (["forkserver"], [2], 95, 1)
