"""`custos systems scan|check|export|erase` against the example system; passwords never reach the output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from example_systems import EXAMPLE_MAPPING
from sqlalchemy import Engine, create_engine, text
from typer.testing import CliRunner

from custos.cli.main import build_cli
from custos.settings import Settings


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    return {
        "CUSTOS_DATABASE_URL": settings.database_url,
        "CUSTOS_KEY_FILE": str(settings.key_file),
        "CUSTOS_POLICY_PATH": str(settings.policy_path),
        "COLUMNS": "200",
    }


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_cli(), list(args), env=env)
    return result.exit_code, result.output


@pytest.fixture
def mapping_file(tmp_path: Path) -> Path:
    path = tmp_path / "crm.yaml"
    path.write_text(EXAMPLE_MAPPING, encoding="utf-8")
    return path


def test_scan_writes_a_proposal_that_check_accepts(
    env: dict[str, str], system: Engine, system_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "proposal.yaml"
    code, output = run(env, "systems", "scan", system_url, "--system", "crm", "--out", str(out))
    assert code == 0, output
    assert "# proposed:" in out.read_text(encoding="utf-8")

    code, output = run({**env, "CUSTOS_SYSTEM_URL": system_url}, "systems", "check", str(out))
    # The proposal's categories (person.national_id, contact.address) are not in the example policy: said so.
    assert "person.national_id" in output
    assert "0 error(s)" not in output
    assert code == 1


def test_check_export_and_erase(env: dict[str, str], system: Engine, system_url: str, mapping_file: Path) -> None:
    assert run(env, "init")[0] == 0
    code, output = run(env, "systems", "check", str(mapping_file), "--url", system_url)
    assert code == 0, output
    assert "0 error(s)" in output

    code, output = run(env, "systems", "export", str(mapping_file), "--url", system_url, "--email", "bo@example.se")
    assert code == 0, output
    document = json.loads(output)
    assert document["system"] == "crm"
    assert document["tables"][0]["table"] == "customers"
    assert document["tables"][0]["rows"][0]["full_name"] == "Bo Berg"

    code, output = run(env, "systems", "erase", str(mapping_file), "--url", system_url, "--email", "bo@example.se",
                       "--yes")  # fmt: skip
    assert code == 0, output
    assert "customers" in output
    with system.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM customers WHERE id = 2")).scalar() == 0
    custos = create_engine(env["CUSTOS_DATABASE_URL"])
    with custos.connect() as connection:
        actions = connection.execute(text("SELECT action, target FROM audit_event WHERE action LIKE 'systems.%'")).all()
    custos.dispose()
    assert sorted(tuple(row) for row in actions) == [("systems.erase", "system:crm"), ("systems.export", "system:crm")]

    code, output = run(env, "systems", "erase", str(mapping_file), "--url", system_url, "--email", "bo@example.se",
                       "--yes")  # fmt: skip
    assert code == 0, output
    assert "nothing changed" in output


def test_unreachable_system_is_a_clean_error_without_the_password(
    env: dict[str, str], mapping_file: Path, tmp_path: Path
) -> None:
    url = "postgresql://crm:s3cret-pw@127.0.0.1:1/crm"
    code, output = run(env, "systems", "check", str(mapping_file), "--url", url)
    assert code == 1
    assert "s3cret-pw" not in output
    assert "***" in output
    code, output = run(env, "systems", "scan", url)
    assert code == 1
    assert "s3cret-pw" not in output
