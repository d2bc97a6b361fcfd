"""The command line, driven as a user would: init, people, import, errors as messages with exit code 1."""

from pathlib import Path

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


def test_init_prints_the_first_admin_once(env: dict[str, str]) -> None:
    code, out = run(env, "init")
    assert code == 0, out
    assert "First administrator" in out
    assert "password:" in out
    code, out = run(env, "init")
    assert code == 0
    assert "First administrator" not in out


def test_add_and_find_a_person(env: dict[str, str]) -> None:
    run(env, "init")
    code, out = run(
        env,
        "people",
        "add",
        "--name",
        "Eva Sund",
        "--email",
        "eva@moln.se",
        "--category",
        "prospect",
        "--source",
        "Cloud fair 2025",
    )
    assert code == 0, out
    code, out = run(env, "people", "find", "--email", "EVA@moln.se")
    assert code == 0, out
    assert "Eva Sund" in out
    assert "Cloud fair 2025" in out
    code, out = run(env, "people", "list")
    assert "1 people" in out


def test_errors_are_messages_not_tracebacks(env: dict[str, str]) -> None:
    run(env, "init")
    code, out = run(env, "people", "find", "--email", "nobody@moln.se")
    assert code == 1
    assert "no person with that email" in out
    assert "Traceback" not in out


def test_commands_say_when_init_is_missing(env: dict[str, str]) -> None:
    code, out = run(env, "people", "list")
    assert code == 1
    assert "custos init" in out


def test_import_reports_bad_lines(env: dict[str, str], tmp_path: Path) -> None:
    run(env, "init")
    csv = tmp_path / "prospects.csv"
    csv.write_text("name,email,met_on\nEva Sund,eva@moln.se,2025-03-01\nBad,not-mail,2025-03-01\n")
    code, out = run(env, "import", "prospects", str(csv))
    assert code == 1
    assert "line 3" in out
    assert "nothing was imported" in out
    code, out = run(env, "import", "prospects", str(csv), "--skip-invalid")
    assert code == 0, out
    assert "1 people added" in out
    assert (tmp_path / "prospects.rejects.csv").exists()
