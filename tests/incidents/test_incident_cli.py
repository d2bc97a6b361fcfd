"""`custos incidents …`: the same service, the acting staff member's permissions, clean errors."""

from __future__ import annotations

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
    result = CliRunner().invoke(build_cli(), list(args), env={"COLUMNS": "200", **env})
    return result.exit_code, result.output


def test_open_list_show_notify_decide_document(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "init")[0] == 0
    code, out = run(
        env,
        "incidents",
        "open",
        "--summary",
        "Phishing mail opened, mailbox accessed",
        "--reported-by",
        "Support",
        "--kind",
        "confidentiality",
        "--aware-at",
        "2025-01-03T15:00",
        "--system",
        "mailer",
        "--data",
        "contact.email",
        "--risk",
        "risk",
        "--reasoning",
        "addresses exposed",
    )
    assert code == 0, out
    assert "Opened incident 1" in out
    assert "due: 2025-01-06 15:00 UTC" in out
    code, out = run(env, "incidents", "list")
    assert code == 0
    assert "Phishing mail opened" in out

    code, out = run(env, "incidents", "notify", "1", "--reference", "IMY-9")
    assert code == 1
    assert "late" in out
    assert "Traceback" not in out
    code, out = run(env, "incidents", "notify", "1", "--reference", "IMY-9", "--late-reason", "found in an old ticket")
    assert code == 0, out
    assert "(late)" in out

    code, out = run(env, "incidents", "decide", "1", "--not-notify", "--reasoning", "we changed our mind again")
    assert code == 1  # the authority was already notified

    html = tmp_path / "notice.html"
    code, out = run(env, "incidents", "document", "1", "-o", str(html))
    assert code == 0, out
    assert "Art. 33(3)(a)" in html.read_text()
    code, out = run(env, "incidents", "show", "1")
    assert code == 0
    assert "open" in out
    assert "notify" in out


def test_unknown_system_is_a_clean_error(env: dict[str, str]) -> None:
    assert run(env, "init")[0] == 0
    code, out = run(
        env, "incidents", "open", "--summary", "x lost", "--reported-by", "me", "--kind", "integrity", "--system", "sap"
    )
    assert code == 1
    assert "systems[0]" in out
    assert "Traceback" not in out
