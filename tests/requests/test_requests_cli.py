"""`custos requests` from a terminal: the queue with days left, one request, a wrong move as a message."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from custos.actor import Actor
from custos.cli.main import build_cli
from custos.clock import FixedClock
from custos.requests import cases
from custos.requests.schemas import RequestCreate
from custos.runtime import Runtime
from custos.settings import Settings
from example_policies import example_runtime


def run(settings: Settings, *args: str) -> tuple[int, str]:
    env = {
        "CUSTOS_DATABASE_URL": settings.database_url,
        "CUSTOS_KEY_FILE": str(settings.key_file),
        "CUSTOS_POLICY_PATH": str(settings.policy_path),
        "CUSTOS_PACKAGES_DIR": str(Path(settings.packages_dir)),
        "CUSTOS_OUTBOX_DIR": str(Path(settings.outbox_dir)),
    }
    result = CliRunner().invoke(build_cli(), list(args), env=env)
    return result.exit_code, result.output


def test_the_queue_a_request_and_a_refused_move(runtime: Runtime, settings: Settings) -> None:
    staff = Actor(kind="staff", id=None, label="staff:cli-test")
    data = RequestCreate(kind="access", email="eva@moln.se", received_at=datetime(2026, 10, 1, 9, tzinfo=UTC))
    with runtime.work(staff) as work:
        req, _ = cases.create(work, data, channel="staff")
        ref = req.ref
    code, out = run(settings, "requests", "list", "--overdue")
    assert code == 0, out
    assert ref in out
    assert "1 requests" in out
    code, out = run(settings, "requests", "show", ref)
    assert code == 0, out
    assert "access · received" in out
    code, out = run(settings, "requests", "complete", ref)
    assert code == 1
    assert "is received" in out
    assert "Traceback" not in out


@pytest.mark.parametrize(
    ("name", "received", "due"),
    [
        # 00:30 on 25 March in Stockholm is still the 24th in UTC: the queue shows the day it arrived there.
        ("elastx", "2026-03-25", "2026-04-27"),  # 25 April 2026 is a Saturday
        # The same instant in Dublin (GMT in March) is 23:30 on the 24th.
        ("corrib", "2026-03-24", "2026-04-24"),
    ],
)
def test_the_queue_shows_the_day_of_receipt_where_the_organisation_is(
    name: str, received: str, due: str, database_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    with example_runtime(name, database_url, tmp_path, clock) as runtime:
        staff = Actor(kind="staff", id=None, label="staff:cli-test")
        arrived = datetime(2026, 3, 24, 23, 30, tzinfo=UTC)
        data = RequestCreate(kind="access", email="eva@moln.se", received_at=arrived)
        with runtime.work(staff) as work:
            req, _ = cases.create(work, data, channel="staff")
            assert req.due_on == date.fromisoformat(due)
            ref = req.ref
        code, out = run(runtime.settings, "requests", "list")
        assert code == 0, out
        row = next(line for line in out.splitlines() if ref in line)
        assert received in row
        assert due in row
        code, out = run(runtime.settings, "requests", "show", ref)
        assert code == 0, out
        local = "2026-03-25 00:30 +01:00" if name == "elastx" else "2026-03-24 23:30 +00:00"
        assert f"received {local}" in out
