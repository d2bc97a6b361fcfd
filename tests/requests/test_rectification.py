"""Rectification reaches the register's identities and the connected systems; manual systems' owners answer in
access, erasure and rectification requests, and what they report is in the answer."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from customer_system import MAPPING, OWNER, build_customer_system, rows, systems_section
from requests_support import ANNA, Connected, Outbox
from sqlalchemy import select

from custos.actor import Actor
from custos.audit.models import AuditEvent
from custos.clock import FixedClock
from custos.errors import Conflict, InvalidInput, NotFound
from custos.register.models import Person
from custos.register.people import add_person, find_person
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.register.suppression import is_suppressed, suppress
from custos.requests import actions, answers, cases, intake
from custos.requests.driver import drive_open, drive_request
from custos.requests.schemas import RequestCreate
from custos.runtime import Runtime, open_runtime
from custos.settings import Settings
from custos.systems.models import SystemTask
from custos.systems.tasks import confirm_task, task_detail
from custos.work import Work

TESTER = Actor.system("test")  # sets up and reads the register around the requests under test

SUBJECT = Actor(kind="subject", id=None, label="subject:web")
STAFF = Actor(kind="staff", id=1, label="staff:1")
OWNER_ACTOR = Actor(kind="staff", id=2, label=OWNER)
NEW = "anna.lind@example.se"
GROUNDS = "Checked against her signed contract."


def submit(c: Connected, kind: str, **extra: object) -> str:
    return intake.submit(c.runtime, SUBJECT, RequestCreate(kind=kind, email=ANNA, **extra), channel="web").ref


def confirm(c: Connected, ref: str) -> str:
    code = parse_qs(urlparse(c.outbox.link(r"https?://\S+/rights/verify/\S+")).query)["code"][0]
    return intake.confirm(c.runtime, ref, code, SUBJECT)


def state(c: Connected, ref: str) -> str:
    with c.runtime.db.transaction() as session:
        return cases.load(session, ref).state


# -- rectification through the register and the CRM -------------------------------------------------------------


def test_rectification_changes_name_email_and_phone_in_the_register_and_the_crm(connected: Connected) -> None:
    c = connected
    ref = submit(c, "rectification", details="I married: Anna Lind, anna.lind@example.se, new mobile.")
    assert confirm(c, ref) == "verified"
    changes = {"name": "Anna Lind", "email": "Anna.Lind@Example.se", "phone": "070-765 43 21"}
    changes["old_phone"] = "+46701234567"  # the number the CRM has; the register has none, so it is added there

    result = actions.approve(c.runtime, ref, STAFF, GROUNDS, changes)

    assert result.state == "completed"
    with c.runtime.db.transaction() as session:
        person = find_person(
            Work(session, c.runtime.clock, c.runtime.keys, c.runtime.policy, TESTER), "email", NEW
        )  # found through the blind index
        assert person.name == "Anna Lind"
        assert person.emails == [NEW]
        assert person.phones == ["+46707654321"]
        with pytest.raises(NotFound):
            find_person(Work(session, c.runtime.clock, c.runtime.keys, c.runtime.policy, TESTER), "email", ANNA)
        req = cases.load(session, ref)
        assert {t.target: t.state for t in req.tasks} == {"crm": "done", "register": "done"}
        audited = session.scalar(select(AuditEvent).where(AuditEvent.action == "register.rectify"))
        assert audited is not None
        assert audited.details == {"fields": ["name", "email", "phone"]}
    assert rows(c.crm_url, "SELECT email, name, phone FROM customers WHERE id = 1") == [
        (NEW, "Anna Lind", "+46707654321")
    ]
    assert rows(c.crm_url, "SELECT requester FROM tickets WHERE id = 1") == [(NEW,)]
    assert rows(c.crm_url, "SELECT email, name FROM customers WHERE id = 2") == [("bo@example.se", "Bo Berg")]
    # The completion letter goes to the address the request came from and says what changed where.
    letter = c.outbox.last(ANNA)
    assert "our register: name, email address, phone number" in letter.body
    assert "crm: email address, phone number, name in customers (1), tickets (1)" in letter.body


def test_a_new_address_of_another_person_is_a_conflict_and_nothing_moves(connected: Connected) -> None:
    c = connected
    with c.runtime.db.transaction() as session:
        bo = PersonCreate(
            name="Bo Berg", emails=["bo@example.se"], relationships=[RelationshipCreate(subject_category="prospect")]
        )
        add_person(Work(session, c.runtime.clock, c.runtime.keys, c.runtime.policy, TESTER), bo)
    ref = submit(c, "rectification", details="My address is bo@example.se")
    assert confirm(c, ref) == "verified"

    with pytest.raises(Conflict, match="already belongs to another person"):
        actions.approve(c.runtime, ref, STAFF, GROUNDS, {"email": "BO@example.se"})
    with pytest.raises(InvalidInput, match="not valid") as bad:
        actions.approve(c.runtime, ref, STAFF, GROUNDS, {"phone": "12"})
    assert bad.value.problems[0].location == "phone"

    with c.runtime.db.transaction() as session:
        req = cases.load(session, ref)
        assert req.state == "verified"
        assert req.approved_at is None  # the approval was rolled back with the refused change
        assert (
            find_person(Work(session, c.runtime.clock, c.runtime.keys, c.runtime.policy, TESTER), "email", ANNA).name
            == "Anna Andersson"
        )
    assert rows(c.crm_url, "SELECT email FROM customers WHERE id = 1") == [(ANNA,)]


# -- manual systems ---------------------------------------------------------------------------------------------


@pytest.fixture
def manual(runtime: Runtime, settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[Connected]:
    """The CRM and the manual systems of the systems tests (mailer owned by OWNER, finance, website, analytics)."""
    url = build_customer_system(tmp_path / "crm.db")
    original = Path(settings.policy_path).read_text(encoding="utf-8")
    policy = re.sub(r"(?ms)^systems:\n.*?(?=^processor:)", lambda _m: systems_section(), original)
    (tmp_path / "policy.yaml").write_text(policy, encoding="utf-8")
    (tmp_path / "crm-mapping.yaml").write_text(MAPPING, encoding="utf-8")
    rt = open_runtime(
        replace(settings, policy_path=tmp_path / "policy.yaml"), clock, environ={"CUSTOS_SYSTEM_CRM_URL": url}
    )
    with rt.db.transaction() as session:
        add_person(
            Work(session, rt.clock, rt.keys, rt.policy, TESTER),
            PersonCreate(
                name="Anna Andersson",
                emails=[ANNA],
                relationships=[RelationshipCreate(subject_category="prospect", last_interaction_on=date(2026, 6, 1))],
            ),
        )
    yield Connected(rt, url, Outbox(settings.outbox_dir))
    rt.close()


@dataclass
class Waiting:
    system: str
    task_id: int


def waiting(c: Connected, ref: str) -> list[Waiting]:
    with c.runtime.db.transaction() as session:
        req = cases.load(session, ref)
        return [
            Waiting(t.target, int(t.system_task_id)) for t in req.tasks if t.state == "waiting" and t.system_task_id
        ]


def owner_confirms(c: Connected, task: Waiting, *, records: int, note: str | None = None) -> None:
    with c.runtime.work(OWNER_ACTOR) as work:
        detail = task_detail(work, task.system, task.task_id)
        fields = detail.task.categories or ["contact.email"]
        confirm_task(work, task.system, task.task_id, fields=fields, records=records, note=note)


def test_an_access_request_waits_for_the_owners_and_the_package_says_what_each_reported(manual: Connected) -> None:
    c = manual
    ref = submit(c, "access")
    assert confirm(c, ref) == "in_progress"
    tasks = waiting(c, ref)
    assert {t.system for t in tasks} == {"mailer", "finance", "website", "analytics"}
    with pytest.raises(Conflict, match="left: "):
        answers.complete(c.runtime, ref, STAFF, note=None)

    # Owners confirm while the request is open; until the last one does, a drive leaves it waiting.
    for task in tasks[:-1]:
        owner_confirms(c, task, records=1 if task.system == "mailer" else 0, note="On the newsletter list.")
    assert not drive_request(c.runtime, ref).ready
    owner_confirms(c, tasks[-1], records=0)
    assert drive_open(c.runtime) == 1  # the requests-drive job picks it up

    with c.runtime.db.transaction() as session:
        req = cases.load(session, ref)
        assert cases.ready(req)
        assert req.package_path
        results = {t.target: t.result for t in req.tasks}
    assert results["mailer"]["manual"]["records"] == 1
    assert results["mailer"]["manual"]["fields"] == ["contact.email", "contact.name"]
    assert "note" not in results["mailer"]["manual"]  # kept in clear on the task: the note stays out
    answers.complete(c.runtime, ref, STAFF, note=None)
    token = c.outbox.link(r"https?://\S+/rights/download/\S+").rstrip(".").rsplit("/", 1)[1]
    answers.send_download_code(c.runtime, token, SUBJECT)
    code = re.search(r"\b\d{8}\b", c.outbox.last().body)
    assert code is not None
    _, path = answers.open_download(c.runtime, token, code.group(0), SUBJECT)
    with zipfile.ZipFile(path) as package:
        names = package.namelist()
        readme = package.read("README.html").decode("utf-8")
        report = package.read("systems/mailer/_owner_report.json").decode("utf-8")
    for system in ("mailer", "finance", "website", "analytics"):
        assert f"systems/{system}/_owner_report.json" in names
    assert '"records": 1' in report
    assert "On the newsletter list." in report  # the subject's own package: the owner's note is theirs to see
    assert readme.count("Searched by hand by the system") == 4
    assert "contact.email, contact.name; records found: 1" in readme


def test_an_erasure_completes_once_the_owners_confirm_mid_request(manual: Connected) -> None:
    c = manual
    ref = submit(c, "erasure")
    assert confirm(c, ref) == "in_progress"
    assert rows(c.crm_url, "SELECT id FROM customers WHERE email = 'anna@example.se'") == []  # the CRM did its part
    with c.runtime.db.transaction() as session:
        req = cases.load(session, ref)
        assert {t.target: t.state for t in req.tasks if t.target in ("register", "crm")} == {
            "crm": "done",
            "register": "pending",  # the register waits: the owners still search by its identities
        }
        assert session.scalar(select(Person.id)) is not None
    for task in waiting(c, ref):
        owner_confirms(c, task, records=2 if task.system == "mailer" else 0)
    result = drive_request(c.runtime, ref)

    assert result.ready
    with c.runtime.db.transaction() as session:
        assert session.scalar(select(Person.id)) is None
        req = cases.load(session, ref)
        assert req.tasks
        assert all(t.state == "done" for t in req.tasks)
        assert req.outcome["systems"]["mailer"]["manual"]["records"] == 2
        assert session.scalars(select(SystemTask.identities_enc)).all() == [None] * 4  # cleared once confirmed
    answers.complete(c.runtime, ref, STAFF, note=None)
    assert state(c, ref) == "completed"
    assert "mailer: erased by hand by the system's owner (2 records)" in c.outbox.last().body


def test_a_rectification_asks_each_owner_what_to_correct_and_the_letter_says_they_did(manual: Connected) -> None:
    c = manual
    ref = submit(c, "rectification", details="My name is Anna Lind now.")
    assert confirm(c, ref) == "verified"
    assert actions.approve(c.runtime, ref, STAFF, GROUNDS, {"name": "Anna Lind"}).state == "in_progress"
    tasks = waiting(c, ref)
    assert {t.system for t in tasks} == {"mailer", "finance", "website", "analytics"}
    with c.runtime.work(OWNER_ACTOR) as work:
        detail = task_detail(work, "mailer", next(t.task_id for t in tasks if t.system == "mailer"))
        assert detail.task.operation == "rectify"
        assert detail.correct == {"name": "Anna Lind"}
        # The register waits for the systems, which are searched by the identities it holds.
        assert find_person(work, "email", ANNA).name == "Anna Andersson"
    assert rows(c.crm_url, "SELECT name FROM customers WHERE id = 1") == [("Anna Lind",)]
    for task in tasks:
        owner_confirms(c, task, records=1)

    assert drive_request(c.runtime, ref).state == "completed"
    with c.runtime.db.transaction() as session:
        assert (
            find_person(Work(session, c.runtime.clock, c.runtime.keys, c.runtime.policy, TESTER), "email", ANNA).name
            == "Anna Lind"
        )
    body = c.outbox.last(ANNA).body
    assert "register: name" in body
    assert "crm: name in customers (1)" in body
    assert "mailer: contact.email, contact.name (corrected by hand by the system's owner)" in body


def test_an_objection_to_marketing_follows_a_corrected_address(connected: Connected) -> None:
    c = connected
    with c.runtime.db.transaction() as session:
        suppress(Work(session, c.runtime.clock, c.runtime.keys, c.runtime.policy, STAFF), email=ANNA, source="test")
    ref = submit(c, "rectification", details="New address: anna.lind@example.se")
    assert confirm(c, ref) == "verified"

    actions.approve(c.runtime, ref, STAFF, GROUNDS, {"email": NEW})

    with c.runtime.db.transaction() as session:
        assert is_suppressed(Work(session, c.runtime.clock, c.runtime.keys, c.runtime.policy, TESTER), email=NEW)
