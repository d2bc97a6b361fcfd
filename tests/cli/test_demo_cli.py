"""`custos demo seed`, as `make run` uses it."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from custos.cli.main import build_cli
from custos.settings import Settings


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    return {
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
    code, out = run(env, "demo", "seed", "--people", "60", "--if-empty")
    assert code == 0, out
    assert "already has 60 people; nothing seeded" in out
    code, out = run(env, "people", "list")
    assert "60 people" in out


def test_seeding_a_register_with_people_is_a_clear_error(env: dict[str, str]) -> None:
    run(env, "init")
    run(env, "demo", "seed", "--people", "20")
    code, out = run(env, "demo", "seed", "--people", "20")
    assert code == 1
    assert "already has 20 people" in out
    assert "Traceback" not in out
    code, out = run(env, "demo", "seed", "--people", "20", "--force")
    assert code == 0, out
    assert "Added 0 people" in out
