"""The mailings-send job hands a started mailing out in slices (one task each, any worker may take one): every
recipient gets the message once, the mailing is closed once by the slice that settles its last row, and a
slice left half-sent by a stopped worker marks its in-flight row `unknown` instead of sending it again."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from mailing_helpers import ACTOR, add_contact, add_org
from sqlalchemy import func, select, update

from custos.audit.models import AuditEvent
from custos.jobs import tasks as job_tasks
from custos.jobs.queue import InProcessQueue, Task
from custos.jobs.registry import MAILINGS_SEND, scheduler_for
from custos.mail import mailer_for
from custos.mailings import selection as selections
from custos.mailings import sending
from custos.mailings.criteria import Criteria
from custos.mailings.models import Mailing, MailingDelivery
from custos.runtime import Runtime
from custos.settings import Settings

PEOPLE = 7


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return replace(settings, outbox_dir=tmp_path / "outbox")


class Recording(InProcessQueue):
    def __init__(self, runtime: Runtime, tasks: dict[str, Task]) -> None:
        super().__init__(runtime, tasks)
        self.deferred: list[dict[str, Any]] = []

    def defer(self, name: str, **args: Any) -> None:
        self.deferred.append(args)
        super().defer(name, **args)


def _started(runtime: Runtime) -> int:
    with runtime.db.transaction() as session:
        org = add_org(session, runtime, "Kund AB")
        for i in range(PEOPLE):
            add_contact(session, runtime, f"reader{i}@kund.se", organisation_id=org)
    with runtime.work(ACTOR) as work:
        selection = selections.create(work, "Customers", Criteria())
        mailing = sending.create(work, selection.id, "News", "Hello.")
        sending.start(work, mailing.id)
        return mailing.id


def _statuses(runtime: Runtime, mailing_id: int) -> list[str]:
    with runtime.db.transaction() as session:
        return list(
            session.scalars(
                select(MailingDelivery.status)
                .where(MailingDelivery.mailing_id == mailing_id)
                .order_by(MailingDelivery.id)
            )
        )


def _sent_events(runtime: Runtime) -> int:
    with runtime.db.transaction() as session:
        return int(
            session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "mailing.sent")) or 0
        )


def test_a_started_mailing_goes_out_in_slices_each_recipient_once(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sending, "SLICE", 2)
    mailing_id = _started(runtime)
    queue = Recording(runtime, job_tasks.default_tasks())
    scheduler = scheduler_for(runtime, queue=queue)
    scheduler.wake(MAILINGS_SEND)
    assert scheduler.tick() == [MAILINGS_SEND]
    slices = [args["slice_no"] for args in queue.deferred]
    assert len(slices) == len(set(slices)) == 4  # 7 rows in slices of 2, each handed out once
    assert _statuses(runtime, mailing_id) == ["sent"] * PEOPLE
    with runtime.db.transaction() as session:
        assert session.scalar(select(Mailing.status).where(Mailing.id == mailing_id)) == "done"
    assert _sent_events(runtime) == 1
    letters = [p.read_text(errors="replace") for p in runtime.settings.outbox_dir.glob("*.eml")]
    for i in range(PEOPLE):
        assert sum(1 for text in letters if f"reader{i}@kund.se" in text) == 1
    # A late duplicate of a slice's task finds the mailing done and sends nothing.
    mailer = mailer_for(runtime.settings, runtime.policy)
    assert sending.send_slice(runtime, mailer, mailing_id, slices[0], "http://custos.test") is True
    assert len(list(runtime.settings.outbox_dir.glob("*.eml"))) == len(letters)
    assert _sent_events(runtime) == 1


def test_a_slice_a_stopped_worker_left_mid_send_is_finished_without_sending_twice(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sending, "SLICE", 2)
    mailing_id = _started(runtime)
    with runtime.db.transaction() as session:
        first = session.scalar(select(func.min(MailingDelivery.id)).where(MailingDelivery.mailing_id == mailing_id))
        assert first is not None
        # As a worker killed between committing the row `sending` and marking it sent would leave it.
        session.execute(update(MailingDelivery).where(MailingDelivery.id == first).values(status="sending"))
    left = sending.slices_left(runtime)
    assert (mailing_id, first // 2) in left
    mailer = mailer_for(runtime.settings, runtime.policy)
    for _mailing, slice_no in left:
        sending.send_slice(runtime, mailer, mailing_id, slice_no, "http://custos.test")
    statuses = _statuses(runtime, mailing_id)
    assert statuses[0] == "unknown"
    assert statuses[1:] == ["sent"] * (PEOPLE - 1)
    assert len(list(runtime.settings.outbox_dir.glob("*.eml"))) == PEOPLE - 1
    assert _sent_events(runtime) == 1
    assert sending.slices_left(runtime) == []
