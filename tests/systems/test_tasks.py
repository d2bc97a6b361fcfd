"""Manual systems: the owner's task is opened once per person, cause and operation, the owner is emailed
(through a real SMTP server) without the person's identity, and nothing is sent when SMTP is not set up."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from customer_system import OWNER, connected_runtime

from custos.clock import FixedClock
from custos.runtime import Runtime
from custos.settings import Settings
from custos.systems.keys import SubjectKeys
from custos.systems.runs import erase_in_system, export_from_system
from custos.systems.tasks import task_state

REF = "7e6d5c4b-3a29-4188-8776-655443322110"
ANNA = SubjectKeys.of(emails=["anna@example.se"], phones=["+46701234567"])


@pytest.fixture
def connected(runtime: Runtime, settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[Runtime]:
    rt, _ = connected_runtime(settings, clock, tmp_path)
    yield rt
    rt.close()


def test_the_owner_is_emailed_once_with_a_link_and_without_the_identity(
    connected: Runtime, smtp_server: Any, staff_factory: Any
) -> None:
    staff_factory("system_owner", "mailer", email=OWNER)  # the owner can sign in and confirm the task
    caught = smtp_server
    connected.settings = caught.settings_for(connected.settings)
    first = erase_in_system(connected, "mailer", ANNA, subject_ref=REF, cause="request:R-1")
    erase_in_system(connected, "mailer", ANNA, subject_ref=REF, cause="request:R-1")
    (message,) = caught.messages
    assert str(message["To"]) == OWNER
    body = message.get_content()
    assert f"/admin/systems/mailer/tasks/{first.task_id}" in body
    assert "anna" not in body.lower()
    assert "+4670" not in body
    # An export for the same person is another task.
    exported = export_from_system(connected, "mailer", ANNA, subject_ref=REF, cause="request:R-1")
    assert exported.status == "waiting"
    assert exported.task_id != first.task_id
    assert len(caught.messages) == 2


def test_without_smtp_the_task_is_opened_and_the_skip_is_logged(
    connected: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="custos.systems.tasks"):
        outcome = erase_in_system(connected, "mailer", ANNA, subject_ref=REF, cause="request:R-2")
    assert outcome.status == "waiting"
    assert outcome.task_id is not None
    assert task_state(connected, outcome.task_id) == "open"
    assert "no SMTP server configured" in caplog.text
