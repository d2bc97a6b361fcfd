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
    # Typed without an offset, the time is read on the organisation's clock (Stockholm, +01:00 in January),
    # and shown there with its offset: the 72 hours end at 15:00 local time, not an hour later.
    assert "aware: 2025-01-03 15:00 +01:00 · due: 2025-01-06 15:00 +01:00" in out
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


def _open(env: dict[str, str], aware_at: str) -> tuple[int, str]:
    return run(
        env,
        "incidents",
        "open",
        "--summary",
        "Laptop stolen",
        "--reported-by",
        "IT",
        "--kind",
        "confidentiality",
        "--aware-at",
        aware_at,
    )


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        # The Saturday the clocks went forward: 72 real hours, shown on the local clock of each end.
        ("2025-03-29 09:00", "aware: 2025-03-29 09:00 +01:00 · due: 2025-04-01 10:00 +02:00"),
        # An explicit offset is taken as written, whatever the organisation's zone.
        ("2025-03-29T08:00Z", "aware: 2025-03-29 09:00 +01:00 · due: 2025-04-01 10:00 +02:00"),
        ("2025-03-29 09:00 +01:00", "aware: 2025-03-29 09:00 +01:00 · due: 2025-04-01 10:00 +02:00"),
    ],
)
def test_aware_at_is_read_on_the_organisations_clock_or_with_its_offset(
    env: dict[str, str], typed: str, shown: str
) -> None:
    assert run(env, "init")[0] == 0
    code, out = _open(env, typed)
    assert code == 0, out
    assert shown in out


def test_a_time_the_clock_shows_twice_is_refused_cleanly(env: dict[str, str]) -> None:
    assert run(env, "init")[0] == 0
    code, out = _open(env, "2025-10-26 02:30")  # Stockholm's clocks go back from 03:00 to 02:00 that night
    assert code == 1
    assert "happens twice in Europe/Stockholm" in out
    assert "+02:00" in out
    assert "Traceback" not in out
    code, out = run(env, "incidents", "list")
    assert "0 incidents" in out  # nothing half-written
