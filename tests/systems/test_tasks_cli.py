"""`custos system-tasks list|retry`: an owner's open tasks by ref, and failed erasures retried on demand."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from customer_system import connected_runtime, rows
from typer.testing import CliRunner

from custos.clock import FixedClock
from custos.runtime import Runtime
from custos.settings import Settings
from custos.systems.keys import SubjectKeys
from custos.systems.runs import erase_in_system

REF = "6f5e4d3c-2b1a-4098-8776-5a4b3c2d1e0f"
ANNA = SubjectKeys.of(emails=["anna@example.se"])


@pytest.fixture
def connected(runtime: Runtime, settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[tuple[Runtime, str]]:
    rt, url = connected_runtime(settings, clock, tmp_path)
    yield rt, url
    rt.close()


def _run(settings: Settings, policy: Path, url: str, *args: str) -> tuple[int, str]:
    env = {
        "CUSTOS_DATABASE_URL": settings.database_url,
        "CUSTOS_KEY_FILE": str(settings.key_file),
        "CUSTOS_POLICY_PATH": str(policy),
        "CUSTOS_SYSTEM_CRM_URL": url,
        "COLUMNS": "250",
    }
    from custos.cli.main import build_cli

    result = CliRunner().invoke(build_cli(), list(args), env=env)
    return result.exit_code, result.output


def test_list_and_retry(connected: tuple[Runtime, str], settings: Settings) -> None:
    rt, url = connected
    policy = Path(rt.settings.policy_path)
    erase_in_system(rt, "mailer", ANNA, subject_ref=REF, cause="request:R-1")
    code, out = _run(settings, policy, url, "system-tasks", "list", "--system", "mailer")
    assert code == 0, out
    assert REF in out
    assert "erase" in out
    assert "anna" not in out
    rt.system_env = {"CUSTOS_SYSTEM_CRM_URL": "sqlite:////nonexistent/dir/crm.db"}
    assert erase_in_system(rt, "crm", ANNA, subject_ref=REF, cause="request:R-1").status == "failed"
    code, out = _run(settings, policy, url, "system-tasks", "retry")
    assert code == 0, out
    assert "1 failed erasures retried: 1 done, 0 still failing." in out
    assert rows(url, "SELECT id FROM customers") == [(2,)]
