"""Access and erasure end to end on the register and a connected SQLite system, through the services: the
subject's request, the identity link from the letter, the work per system, staff completing, the download."""

from __future__ import annotations

import re
import zipfile
from urllib.parse import parse_qs, urlparse

import pytest
from customer_system import rows
from requests_support import ANNA, Connected
from sqlalchemy import func, select

from custos.actor import Actor
from custos.audit.models import AuditEvent
from custos.errors import Conflict, InvalidInput
from custos.jobs.registry import REQUEST_REMINDERS, REQUESTS_DRIVE, default_jobs
from custos.register.models import Person
from custos.requests import answers, cases, intake
from custos.requests.driver import drive_open, drive_request
from custos.requests.schemas import RequestCreate
from custos.retention.models import Tombstone

SUBJECT = Actor(kind="subject", id=None, label="subject:web")
STAFF = Actor(kind="staff", id=1, label="staff:1")


def submit(c: Connected, kind: str = "access", **extra: object) -> str:
    result = intake.submit(c.runtime, SUBJECT, RequestCreate(kind=kind, email=ANNA, **extra), channel="web")
    assert result.state == "verifying"
    return result.ref


def confirm_from_letter(c: Connected, ref: str) -> str:
    link = c.outbox.link(r"https?://\S+/rights/verify/\S+")
    assert f"/rights/verify/{ref}?" in link
    code = parse_qs(urlparse(link).query)["code"][0]
    return intake.confirm(c.runtime, ref, code, SUBJECT)


def download(c: Connected) -> zipfile.ZipFile:
    link = c.outbox.link(r"https?://\S+/rights/download/\S+")
    token = link.rstrip(".").rsplit("/", 1)[1]
    answers.send_download_code(c.runtime, token, SUBJECT)
    code = re.search(r"\b\d{8}\b", c.outbox.last().body)
    assert code, c.outbox.last().body
    _, path = answers.open_download(c.runtime, token, code.group(0), SUBJECT)
    return zipfile.ZipFile(path)


def test_access_request_gives_a_package_with_the_register_and_the_system(connected: Connected) -> None:
    c = connected
    ref = submit(c)
    assert confirm_from_letter(c, ref) == "in_progress"
    with c.runtime.db.transaction() as session:
        req = cases.load(session, ref)
        assert cases.ready(req)
        assert {t.target: t.state for t in req.tasks} == {"register": "done", "crm": "done"}
        assert req.package_path
    answers.complete(c.runtime, ref, STAFF, note=None)
    with download(c) as package:
        text = "\n".join(package.read(name).decode("utf-8", "replace") for name in package.namelist())
    assert "Anna Andersson" in text  # the register's name, and the CRM's
    assert "Cannot log in" in text  # her ticket in the CRM
    assert "Bo Berg" not in text
    with c.runtime.db.transaction() as session:
        downloads = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "request.downloaded")
        )
    assert downloads == 1


def test_erasure_removes_the_person_everywhere_and_says_what_the_law_keeps(connected: Connected) -> None:
    c = connected
    ref = submit(c, "erasure")
    assert confirm_from_letter(c, ref) == "in_progress"
    assert rows(c.crm_url, "SELECT id FROM customers WHERE email = 'anna@example.se'") == []
    assert rows(c.crm_url, "SELECT id FROM tickets WHERE requester = 'anna@example.se'") == []
    assert rows(c.crm_url, "SELECT customer_id FROM orders WHERE id IN (10, 11)") == [(None,), (None,)]
    assert rows(c.crm_url, "SELECT id FROM customers WHERE email = 'bo@example.se'") == [(2,)]
    with c.runtime.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 0
        assert session.scalar(select(func.count()).select_from(Tombstone)) == 1
        req = cases.load(session, ref)
        assert req.state == "in_progress"
        assert cases.ready(req)
        kept = req.outcome["kept"]
    assert any(k["system"] == "crm" for k in kept)
    answers.complete(c.runtime, ref, STAFF, note=None)
    with c.runtime.db.transaction() as session:
        assert cases.load(session, ref).state == "completed"


def test_a_killed_erasure_rerun_finishes_without_doing_anything_twice(
    connected: Connected, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = connected
    from custos.systems import runs

    real = runs.erase_in_system

    def crash_after_the_work(*args: object, **kwargs: object) -> object:
        real(*args, **kwargs)  # type: ignore[arg-type]
        raise SystemExit("killed")  # before the request's task records the outcome

    monkeypatch.setattr(runs, "erase_in_system", crash_after_the_work)
    ref = submit(c, "erasure")
    link = c.outbox.link(r"https?://\S+/rights/verify/\S+")
    with pytest.raises(SystemExit):
        intake.confirm(c.runtime, ref, parse_qs(urlparse(link).query)["code"][0], SUBJECT)
    monkeypatch.setattr(runs, "erase_in_system", real)
    with c.runtime.db.transaction() as session:
        req = cases.load(session, ref)
        assert req.state == "in_progress"
        assert {t.target: t.state for t in req.tasks} == {"crm": "pending", "register": "pending"}
    assert drive_open(c.runtime) == 1  # the requests-drive job's run
    assert drive_request(c.runtime, ref).ready  # a duplicate wake-up changes nothing
    with c.runtime.db.transaction() as session:
        erased = session.scalars(select(AuditEvent.action).where(AuditEvent.action.in_(("person.erase",))))
        assert list(erased) == ["person.erase"]
        system_runs = session.scalars(select(AuditEvent.details_json).where(AuditEvent.action.like("system%erase%")))
        assert len(list(system_runs)) >= 1
        req = cases.load(session, ref)
        done = [e.kind for e in req.events if e.kind == "work_done"]
    assert done == ["work_done"]


def test_completing_before_the_work_is_done_is_a_conflict(connected: Connected) -> None:
    ref = submit(connected)
    with pytest.raises(Conflict, match="is verifying"):
        answers.complete(connected.runtime, ref, STAFF, note=None)


def test_a_wrong_download_code_is_refused_and_counted(connected: Connected) -> None:
    c = connected
    ref = submit(c)
    confirm_from_letter(c, ref)
    answers.complete(c.runtime, ref, STAFF, note=None)
    token = c.outbox.link(r"https?://\S+/rights/download/\S+").rsplit("/", 1)[1]
    answers.send_download_code(c.runtime, token, SUBJECT)
    code = re.search(r"\b\d{8}\b", c.outbox.last().body)
    assert code
    wrong = "00000000" if code.group(0) != "00000000" else "11111111"
    for _ in range(4):
        with pytest.raises(InvalidInput, match="not right"):
            answers.open_download(c.runtime, token, wrong, SUBJECT)
    with pytest.raises(InvalidInput, match="too many wrong codes"):
        answers.open_download(c.runtime, token, wrong, SUBJECT)
    with pytest.raises(InvalidInput, match="too many wrong codes"):
        answers.open_download(c.runtime, token, code.group(0), SUBJECT)  # even the right one, once used up


def test_the_worker_drives_requests_and_sends_reminders(connected: Connected) -> None:
    names = {job.name for job in default_jobs(connected.runtime)}
    assert {REQUESTS_DRIVE, REQUEST_REMINDERS} <= names
