"""Selections explain who is left out and why; a mailing over real SMTP (aiosmtpd) carries a visible sender, an
unsubscribe link and RFC 8058 one-click headers that work; a killed send resumes without sending anyone twice."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from urllib.parse import urlparse

import pytest
from fastapi.testclient import TestClient
from mailing_helpers import ACTOR, add_contact, add_org, restrict_person, suppress_email
from sqlalchemy import select

from custos.audit.models import AuditEvent
from custos.clock import FixedClock
from custos.jobs.registry import MAILINGS_SEND, default_jobs, hourly
from custos.jobs.scheduler import Job, Scheduler
from custos.mail import Message, SmtpMailer
from custos.mailings import selection as selections
from custos.mailings import sending
from custos.mailings.criteria import Criteria
from custos.mailings.export import export_csv
from custos.mailings.models import MailingDelivery
from custos.register.suppression import is_suppressed
from custos.runtime import Runtime

BASE = "https://custos.example.se"


@dataclass
class Register:
    refs: dict[str, str] = field(default_factory=dict)


def _register(runtime: Runtime) -> Register:
    """Five customer contacts of which two may be mailed, a prospect, a former customer's contact, and a former
    contact of the current customer (their own role ended in 2010)."""
    ctx = runtime
    built = Register()
    with runtime.db.transaction() as session:
        current = add_org(session, ctx, "Kund AB")
        former = add_org(session, ctx, "Gammal AB", ended=date(2025, 6, 30))
        for name in ("anna", "bo", "cia", "dan", "eva"):
            built.refs[name], _ = add_contact(session, ctx, f"{name}@kund.se", organisation_id=current)
        built.refs["fia"], _ = add_contact(session, ctx, "fia@gammal.se", organisation_id=former)
        built.refs["gus"], _ = add_contact(session, ctx, "gus@mässa.se", category="prospect")
        built.refs["hal"], _ = add_contact(session, ctx, None, organisation_id=current, phone="+46701234567")
        built.refs["ida"], _ = add_contact(
            session, ctx, "ida@kund.se", organisation_id=current, ended_on=date(2010, 1, 1)
        )
        restrict_person(session, ctx, built.refs["cia"])
        suppress_email(session, ctx, "dan@kund.se")
        suppress_email(session, ctx, "eva@kund.se")
    return built


def _selection(runtime: Runtime, **criteria: object) -> int:
    with runtime.work(ACTOR) as work:
        return selections.create(work, "Customers", Criteria.model_validate(criteria)).id


def test_a_selection_counts_each_exclusion_with_its_reason(runtime: Runtime) -> None:
    _register(runtime)
    selection_id = _selection(runtime)
    with runtime.work(ACTOR) as work:
        counts = selections.count_saved(work, selection_id)
    assert counts.included == 2  # anna, bo
    assert counts.excluded == {
        "restricted": 1,
        "suppressed": 2,
        "purpose": 1,
        "not_customer": 1,
        "role_ended": 1,  # ida: the organisation is a customer, but she is no longer its contact
        "no_email": 1,
    }


def test_criteria_outside_the_policy_are_refused(runtime: Runtime) -> None:
    from custos.errors import InvalidInput

    with runtime.work(ACTOR) as work, pytest.raises(InvalidInput) as refused:
        selections.create(work, "x", Criteria(subject_categories=["customer_contacts"]))
    assert refused.value.problems[0].location == "subject_categories[0]"
    assert "customer_contact" in (refused.value.problems[0].hint or "")


def test_the_csv_export_has_only_the_included_and_is_audited(runtime: Runtime) -> None:
    built = _register(runtime)
    selection_id = _selection(runtime)
    out = io.StringIO()
    with runtime.work(ACTOR) as work:
        written = export_csv(work, selection_id, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert written == 2
    assert {r["email"] for r in rows} == {"anna@kund.se", "bo@kund.se"}
    assert {r["ref"] for r in rows} == {built.refs["anna"], built.refs["bo"]}
    with runtime.db.transaction() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "selection.export"))
        assert event is not None
        assert "anna" not in (event.details_json or "")


def _mailing(runtime: Runtime, selection_id: int) -> int:
    with runtime.work(ACTOR) as work:
        return sending.create(work, selection_id, "News from Elastx", "Hello!\nNew region.").id


def test_a_mailing_over_smtp_carries_working_unsubscribe_headers(
    runtime: Runtime, smtp_server: object, anonymous_client: TestClient
) -> None:
    _register(runtime)
    mailing_id = _mailing(runtime, _selection(runtime))
    mailer = SmtpMailer(host="127.0.0.1", port=smtp_server.port, sender="privacy@elastx.com")  # type: ignore[attr-defined]
    final = sending.send(runtime, mailer, ACTOR, mailing_id, BASE)
    assert final.done["sent"] == 2
    received = {str(m["To"]): m for m in smtp_server.messages}  # type: ignore[attr-defined]
    assert set(received) == {"anna@kund.se", "bo@kund.se"}
    anna, bo = received["anna@kund.se"], received["bo@kund.se"]
    assert anna["From"] == "privacy@elastx.com"
    assert anna["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = str(anna["List-Unsubscribe"]).strip("<>")
    assert link.startswith(f"{BASE}/unsubscribe/")
    body = anna.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Sent by Elastx (privacy@elastx.com)" in body
    assert link in body
    assert str(bo["List-Unsubscribe"]).strip("<>") != link  # a token per recipient

    # Following the link: GET only asks, and changes nothing (link scanners fetch links).
    path = urlparse(link).path
    page = anonymous_client.get(path)
    assert page.status_code == 200
    assert '<form method="post"' in page.text
    with runtime.work(ACTOR) as work:
        assert not is_suppressed(work, email="anna@kund.se")
    # The confirm button posts; no session, no CSRF token.
    assert anonymous_client.post(path).status_code == 200
    # The mail client's one-click POST (RFC 8058 §3.1) for the other recipient.
    bo_path = urlparse(str(bo["List-Unsubscribe"]).strip("<>")).path
    one_click = anonymous_client.post(
        bo_path,
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200
    with runtime.work(ACTOR) as work:
        assert is_suppressed(work, email="anna@kund.se")
        assert is_suppressed(work, email="bo@kund.se")
        events = list(work.session.scalars(select(AuditEvent).where(AuditEvent.action == "suppression.add")))
        assert {e.actor_label for e in events if e.reference == f"mailing:{mailing_id}"} == {"subject:unsubscribe"}
    with runtime.work(ACTOR) as work:
        counts = selections.count_saved(work, 1)
    assert counts.included == 0  # honoured at once: the next mailing reaches neither
    assert anonymous_client.post("/unsubscribe/not-a-token").status_code == 404


class Killed(BaseException):
    """What a kill -9 looks like to the loop: the process stops mid-send, nothing is caught."""


@dataclass
class Outbox:
    sent: list[str] = field(default_factory=list)
    kill_after: int | None = None

    def send(self, message: Message) -> None:
        self.sent.append(message.to)
        if self.kill_after is not None and len(self.sent) >= self.kill_after:
            raise Killed


def test_a_killed_send_resumes_without_sending_anyone_twice(runtime: Runtime) -> None:
    ctx = runtime
    with runtime.db.transaction() as session:
        org = add_org(session, ctx, "Stor AB")
        for n in range(12):
            add_contact(session, ctx, f"c{n}@stor.se", organisation_id=org)
    mailing_id = _mailing(runtime, _selection(runtime))
    first = Outbox(kill_after=5)
    with pytest.raises(Killed):
        sending.send(runtime, first, ACTOR, mailing_id, BASE)
    with runtime.db.transaction() as session:
        assert sending.progress(session, mailing_id).done["sending"] == 1  # the one in flight when killed
    second = Outbox()
    final = sending.send(runtime, second, ACTOR, mailing_id, BASE)
    everyone = first.sent + second.sent
    assert len(everyone) == len(set(everyone)) == 12  # no one twice, no one missed
    assert final.done == {"pending": 0, "sending": 0, "sent": 11, "failed": 0, "skipped": 0, "unknown": 1}
    with runtime.db.transaction() as session:
        assert sending.get(session, mailing_id).status == "done"


def test_an_objection_during_a_mailing_is_honoured_before_the_next_message(runtime: Runtime) -> None:
    ctx = runtime
    with runtime.db.transaction() as session:
        org = add_org(session, ctx, "Stor AB")
        for n in range(4):
            add_contact(session, ctx, f"c{n}@stor.se", organisation_id=org)
    mailing_id = _mailing(runtime, _selection(runtime))
    with runtime.work(ACTOR) as work:
        sending.start(work, mailing_id)
        suppress_email(work.session, ctx, "c3@stor.se")
    outbox = Outbox()
    final = sending.send(runtime, outbox, ACTOR, mailing_id, BASE)
    assert "c3@stor.se" not in outbox.sent
    assert final.done["skipped"] == 1
    with runtime.db.transaction() as session:
        skipped = session.scalar(select(MailingDelivery.detail).where(MailingDelivery.status == "skipped"))
    assert skipped == "objected to direct marketing"


def test_a_started_mailing_is_sent_by_the_job_and_a_killed_run_is_finished_by_the_next(
    runtime: Runtime, clock: FixedClock, tmp_path: Path
) -> None:
    """Issue 15: starting records the mailing; the durable `mailings-send` job sends it. A worker killed mid-send
    (its lease left held) is taken over once the lease expires, and the next run sends the rest, nobody twice."""
    ctx = runtime
    with runtime.db.transaction() as session:
        org = add_org(session, ctx, "Stor AB")
        for n in range(12):
            add_contact(session, ctx, f"c{n}@stor.se", organisation_id=org)
    mailing_id = _mailing(runtime, _selection(runtime))
    with runtime.work(ACTOR) as work:
        assert sending.start(work, mailing_id).done["pending"] == 12  # recorded; nothing sent in the start
    first = Outbox(kill_after=5)
    killed = Scheduler(
        runtime.db,
        clock,
        [Job(MAILINGS_SEND, hourly, lambda: sending.send_started(runtime, first, BASE))],
        "killed",
        lease=timedelta(minutes=10),
    )
    killed.wake(MAILINGS_SEND)
    with pytest.raises(Killed):
        killed.tick()
    with runtime.db.transaction() as session:
        assert sending.get(session, mailing_id).status == "sending"
        assert sending.progress(session, mailing_id).done["sending"] == 1  # the one in flight when killed

    # The next worker runs the registered job (file outbox): the lease first has to expire.
    runtime.settings = replace(runtime.settings, outbox_dir=tmp_path / "outbox")
    job = next(j for j in default_jobs(runtime) if j.name == MAILINGS_SEND)
    restarted = Scheduler(runtime.db, clock, [job], "restarted")
    assert restarted.tick() == []
    clock.advance(timedelta(minutes=11))
    assert restarted.tick() == [MAILINGS_SEND]
    second = [_recipient(letter) for letter in sorted((tmp_path / "outbox").glob("*.eml"))]
    everyone = first.sent + second
    assert len(everyone) == len(set(everyone)) == 12  # no one twice, no one missed
    with runtime.db.transaction() as session:
        assert sending.get(session, mailing_id).status == "done"
        done = sending.progress(session, mailing_id).done
        sent_by = session.scalar(select(AuditEvent.actor_label).where(AuditEvent.action == "mailing.sent"))
    assert done == {"pending": 0, "sending": 0, "sent": 11, "failed": 0, "skipped": 0, "unknown": 1}
    assert sent_by == f"system:{MAILINGS_SEND}"
    assert restarted.tick() == []  # finished: nothing left for the job


def test_a_mailing_started_while_the_job_runs_is_not_left_until_the_next_hour(
    runtime: Runtime, clock: FixedClock
) -> None:
    """A wake during a run keeps the job due, instead of the run's end putting it off to its next schedule."""
    runs: list[datetime] = []
    scheduler = Scheduler(runtime.db, clock, [], "w")

    def job() -> None:
        runs.append(clock.now())
        if len(runs) == 1:
            clock.advance(timedelta(seconds=5))
            scheduler.wake(MAILINGS_SEND)  # a mailing started meanwhile

    scheduler.jobs.append(Job(MAILINGS_SEND, hourly, job))
    scheduler.wake(MAILINGS_SEND)
    assert scheduler.tick() == [MAILINGS_SEND]
    assert scheduler.tick() == [MAILINGS_SEND]  # due again at once, not at the next hour
    assert scheduler.tick() == []
    assert len(runs) == 2


def _recipient(letter: Path) -> str:
    return str(message_from_bytes(letter.read_bytes())["To"])
