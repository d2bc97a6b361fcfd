"""The CLI acts as a named staff member (`--as` / CUSTOS_ACTOR): their grants apply and the log names them."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from custos.access.identify import for_cli
from custos.app import create_app
from custos.audit import AuditEvent
from custos.cli.main import build_cli
from custos.errors import Unauthenticated
from custos.runtime import open_runtime
from custos.settings import Settings


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    return {
        "CUSTOS_DATABASE_URL": settings.database_url,
        "CUSTOS_KEY_FILE": str(settings.key_file),
        "CUSTOS_POLICY_PATH": str(settings.policy_path),
    }


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_cli(), list(args), env={"COLUMNS": "200", **env})
    return result.exit_code, result.output


def _events(settings: Settings) -> list[AuditEvent]:
    runtime = open_runtime(settings)
    try:
        with runtime.db.transaction() as session:
            return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    finally:
        runtime.close()


def test_an_account_admin_sets_up_a_support_agent_who_cannot_read_the_register(
    env: dict[str, str], settings: Settings
) -> None:
    assert run(env, "init")[0] == 0
    code, out = run(env, "staff", "add", "--email", "ida@elastx.se", "--name", "Ida Berg")
    assert code == 0, out
    assert "one-time password:" in out
    code, out = run(env, "staff", "grant", "ida@elastx.se", "support_agent", "--scope", "custos")
    assert code == 0, out
    # support_agent takes in requests (personal data): proposed, waiting for a second member's approval.
    assert "waiting for approval" in out
    code, out = run(env, "--as", "ida@elastx.se", "people", "list")
    assert code == 1
    assert "register.read" in out
    assert "Traceback" not in out
    code, out = run({**env, "CUSTOS_ACTOR": "ida@elastx.se"}, "staff", "list")
    assert code == 1  # and she cannot manage staff either
    code, out = run(env, "staff", "list")
    assert "ida@elastx.se" in out
    assert "support_agent@custos (#2, pending)" in out
    code, out = run(env, "staff", "review")
    assert code == 0, out
    assert "1 live grant," in out  # the first administrator's; Ida's proposal gives nothing yet
    denied = [e for e in _events(settings) if e.action == "access.denied"]
    assert [(e.actor_kind, e.details["permission"]) for e in denied] == [
        ("cli", "register.read"),
        ("cli", "staff.manage"),
    ]


def test_cli_reads_and_imports_are_audited_with_the_acting_member(
    env: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    run(env, "init")
    csv = tmp_path / "prospects.csv"
    csv.write_text("name,email,met_on\nEva Sund,eva@moln.se,2025-03-01\n")
    assert run(env, "import", "prospects", str(csv))[0] == 0
    code, out = run(env, "people", "find", "--email", "eva@moln.se")
    assert code == 0, out
    events = {e.action: e for e in _events(settings)}
    assert events["person.import"].details["people_created"] == 1
    assert events["person.read"].actor_kind == "cli"
    assert events["person.read"].actor_label.startswith("cli:staff:")
    assert events["person.read"].subject is not None


def test_unknown_members_are_refused(env: dict[str, str]) -> None:
    run(env, "init")
    code, out = run(env, "--as", "ghost@elastx.se", "people", "list")
    assert code == 1
    assert "no staff member" in out


def test_production_mode_insists_on_a_name(settings: Settings) -> None:
    from custos.setup import initialise

    initialise(settings)
    runtime = open_runtime(settings)
    try:
        with runtime.db.transaction() as session, pytest.raises(Unauthenticated, match="--as EMAIL"):
            for_cli(session, runtime.clock, None, default_to_bootstrap_admin=False)
    finally:
        runtime.close()


def test_a_token_made_on_the_command_line_works_over_http(env: dict[str, str], settings: Settings) -> None:
    run(env, "init")
    code, out = run(env, "tokens", "create", "--name", "crm sync", "--permission", "register.read", "--scope", "custos")
    assert code == 0, out
    token = next(line.strip() for line in out.splitlines() if line.strip().startswith("cst_"))
    runtime = open_runtime(settings)
    try:
        with TestClient(create_app(settings, runtime=runtime)) as web:
            assert web.get("/api/v1/people", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    finally:
        runtime.close()
    code, out = run(env, "tokens", "list")
    assert "crm sync" in out


def test_demo_seed_and_audit_commands_check_the_actor(env: dict[str, str]) -> None:
    assert run(env, "init")[0] == 0
    assert run(env, "staff", "add", "--email", "ove@elastx.se", "--name", "Ove Ek")[0] == 0
    assert run(env, "staff", "grant", "ove@elastx.se", "auditor", "--scope", "custos")[0] == 0
    code, out = run(env, "--as", "ove@elastx.se", "demo", "seed", "--people", "5")
    assert code == 1
    assert "register.write" in out
    code, out = run(env, "--as", "ove@elastx.se", "audit", "verify")
    assert code == 0, out
    assert "audit log intact" in out
    assert run(env, "staff", "add", "--email", "sam@elastx.se", "--name", "Sam Lund")[0] == 0
    assert run(env, "staff", "grant", "sam@elastx.se", "support_agent", "--scope", "custos")[0] == 0
    code, out = run(env, "--as", "sam@elastx.se", "audit", "verify")
    assert code == 1
    assert "audit.read" in out
