"""`custos demo seed`, as `make run` uses it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from custos.cli.main import build_cli
from custos.settings import Settings


@pytest.fixture
def env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    return {
        "COLUMNS": "200",
        "CUSTOS_OUTBOX_DIR": str(tmp_path / "outbox"),
        "CUSTOS_PACKAGES_DIR": str(tmp_path / "packages"),
        "CUSTOS_DATABASE_URL": settings.database_url,
        "CUSTOS_KEY_FILE": str(settings.key_file),
        "CUSTOS_POLICY_PATH": str(settings.policy_path),
    }


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_cli(), list(args), env=env)
    return result.exit_code, result.output


def test_seed_then_if_empty_leaves_the_register_alone(env: dict[str, str]) -> None:
    assert run(env, "init")[0] == 0
    code, out = run(env, "demo", "seed", "--people", "60", "--seed", "3")
    assert code == 0, out
    assert "Added 60 people" in out
    # The demo dates people over years; its first daily sweep erases those already past due, so a fresh
    # `make run` keeps every promise from the first minute.
    code, doctor = run(env, "doctor")
    assert code == 0, doctor
    assert "Every promise holds" in doctor
    # Four months of use were played through the services on a clock set back: every event is in the chain.
    assert "Played 120 days of use" in out
    code, verified = run(env, "audit", "verify")
    assert code == 0, verified
    assert "audit log intact" in verified
    code, listed = run(env, "requests", "list")
    assert code == 0, listed
    assert "7 requests" in listed
    code, out = run(env, "demo", "seed", "--people", "60", "--if-empty")
    assert code == 0, out
    found = re.search(r"already has (\d+) people; nothing seeded", out)
    assert found is not None, out
    kept = int(found.group(1))
    assert 0 < kept <= 60
    code, out = run(env, "people", "list")
    assert f"{kept} people" in out


def test_seeding_a_register_with_people_is_a_clear_error(env: dict[str, str]) -> None:
    run(env, "init")
    run(env, "demo", "seed", "--people", "20")
    code, out = run(env, "demo", "seed", "--people", "20")
    assert code == 1
    # The demo's four months of sweeps may have erased someone who fell due: the message names who is left.
    found = re.search(r"already has (\d+) people", out)
    assert found is not None, out
    kept = int(found.group(1))
    assert 0 < kept <= 20
    code, listed = run(env, "people", "list")
    assert f"{kept} people" in listed
    assert "Traceback" not in out
    code, out = run(env, "demo", "seed", "--people", "20", "--force")
    assert code == 0, out
    # Those still registered are matched and left alone; only the ones the sweeps erased come back.
    assert f"Added {20 - kept} people" in out
