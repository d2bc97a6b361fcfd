"""`custos requests` from a terminal: the queue with days left, one request, a wrong move as a message."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from custos.actor import Actor
from custos.cli.main import build_cli
from custos.requests import cases
from custos.requests.schemas import RequestCreate
from custos.runtime import Runtime
from custos.settings import Settings


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
    with runtime.db.transaction() as session:
        req, _ = cases.create(session, runtime.register, staff, data, channel="staff")
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
