"""A manual system's rectification task over HTTP: the owner sees whom to look for and the corrected values to
write, and neither once the task is confirmed."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from custos.clock import FixedClock
from custos.runtime import Runtime
from custos.settings import Settings
from custos.setup import initialise
from custos.systems.keys import SubjectKeys
from custos.systems.rectify import Rectification
from custos.systems.runs import rectify_in_system, task_state

sys.path.append(str(Path(__file__).parents[1] / "systems"))  # the shared customer-system helper
from customer_system import connected_runtime

REF = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"


@pytest.fixture
def runtime(settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[Runtime]:
    initialise(settings, clock)
    rt, _ = connected_runtime(settings, clock, tmp_path)
    yield rt
    rt.close()


def test_the_owner_is_told_what_to_correct(login_as: Callable[..., TestClient], runtime: Runtime) -> None:
    changes = Rectification(email=("anna@example.se", "anna.lind@example.se"), fields={"name": "Anna Lind"})
    keys = SubjectKeys.of(emails=["anna@example.se"])
    outcome = rectify_in_system(runtime, "mailer", keys, changes, subject_ref=REF, cause="request:R-7")
    assert outcome.status == "waiting"
    assert outcome.task_id is not None
    owner = login_as("system_owner", "mailer")
    assert "rectification" in owner.get("/admin/systems/tasks").text
    page = owner.get(f"/admin/systems/mailer/tasks/{outcome.task_id}")
    assert page.status_code == 200
    assert "Correct a person&#39;s data in Mailing tool" in page.text
    assert 'id="correct"' in page.text
    assert "Email address: <strong>anna.lind@example.se</strong>" in page.text
    assert "Name: <strong>Anna Lind</strong>" in page.text
    confirmed = owner.post(
        f"/admin/systems/mailer/tasks/{outcome.task_id}/confirm",
        data={"field-1": "contact.email", "field-2": "contact.name", "records": "1"},
        follow_redirects=True,
    )
    assert confirmed.status_code == 200
    assert task_state(runtime, outcome.task_id) == "done"
    closed = owner.get(f"/admin/systems/mailer/tasks/{outcome.task_id}")
    assert "anna.lind@example.se" not in closed.text  # the values to write go with the identities
    assert rectify_in_system(runtime, "mailer", keys, changes, subject_ref=REF, cause="request:R-7").status == "done"
