"""Four eyes on the command line: `--as` only names a member, so a grant proposed there still waits, and
`custos staff approve` asks the approver for their own password and authenticator code."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import select

from cli_run import run_cli
from custos.access.models import Staff
from custos.access.passwords import hash_password
from custos.audit import AuditEvent
from custos.runtime import open_runtime
from custos.settings import Settings

PASSWORD = "a long and private passphrase"


def _set_up_login(settings: Settings, email: str) -> pyotp.TOTP:
    """What the member's first login would have done: their own password and an authenticator."""
    runtime = open_runtime(settings)
    secret = pyotp.random_base32()
    try:
        with runtime.db.transaction() as session:
            staff = session.scalar(select(Staff).where(Staff.email == email))
            assert staff is not None
            staff.password_hash = hash_password(PASSWORD)
            staff.must_change_password = False
            staff.totp_secret = secret
            staff.totp_enabled_at = runtime.clock.now()
    finally:
        runtime.close()
    return pyotp.TOTP(secret)


def _approvals(settings: Settings) -> list[AuditEvent]:
    runtime = open_runtime(settings)
    try:
        with runtime.db.transaction() as session:
            found = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "grant.approve")))
            session.expunge_all()
            return found
    finally:
        runtime.close()


def test_an_account_admin_proposes_on_the_command_line_and_the_first_admin_approves(
    cli_env: dict[str, str], settings: Settings
) -> None:
    assert run_cli(cli_env, "init")[0] == 0
    assert run_cli(cli_env, "staff", "add", "--email", "ola@elastx.se", "--name", "Ola Admin")[0] == 0
    code, out = run_cli(cli_env, "staff", "grant", "ola@elastx.se", "account_admin", "--scope", "custos")
    assert (code, "Granted account_admin" in out) == (0, True), out  # the first admin holds it; no personal data
    assert run_cli(cli_env, "staff", "add", "--email", "ida@elastx.se", "--name", "Ida Berg")[0] == 0
    code, out = run_cli(cli_env, "--as", "ola@elastx.se", "staff", "grant", "ida@elastx.se", "dpo", "--scope", "*")
    assert code == 0, out
    assert "waiting for approval" in out
    grant_id = re.search(r"\(grant (\d+)\)", out)
    assert grant_id is not None
    number = grant_id.group(1)
    code, out = run_cli(cli_env, "--as", "ida@elastx.se", "people", "list")
    assert (code, "register.read" in out) == (1, True)
    code, out = run_cli(cli_env, "staff", "grants", "--pending")
    assert code == 0, out
    assert re.search(rf"{number} .*ida@elastx.se .*dpo .*pending", out), out
    # The proposer proves who they are, and is still not the second pair of eyes.
    ola = _set_up_login(settings, "ola@elastx.se")
    code, out = run_cli(
        cli_env, "--as", "ola@elastx.se", "staff", "approve", number, "--password", PASSWORD, "--code", ola.now()
    )
    assert code == 1
    assert "four eyes" in out
    # Ida has not chosen her own password yet: the one Ola saw would still let him in, so not yet.
    first = _set_up_login(settings, "admin@custos.local")
    code, out = run_cli(cli_env, "staff", "approve", number, given=f"{PASSWORD}\n{first.now()}\n")
    assert (code, "has not set up the account yet" in out) == (1, True), out
    _set_up_login(settings, "ida@elastx.se")
    # Naming the first administrator is not enough: the password and code are asked for.
    wrong = f"{(int(first.now()) + 1) % 1_000_000:06d}"
    code, out = run_cli(cli_env, "staff", "approve", number, "--password", PASSWORD, "--code", wrong)
    assert code == 1
    assert "not approved" in out
    assert "Traceback" not in out
    code, out = run_cli(cli_env, "staff", "approve", number, given=f"{PASSWORD}\n{first.now()}\n")
    assert code == 0, out
    assert "ida@elastx.se now holds dpo for '*'" in out
    assert run_cli(cli_env, "--as", "ida@elastx.se", "people", "list")[0] == 0
    code, out = run_cli(cli_env, "staff", "grants", "ida@elastx.se", "--all")
    assert re.search(rf"{number} .*dpo .*active", out), out
    [approval] = _approvals(settings)
    assert (approval.actor_kind, approval.reference) == ("cli", f"grant:{number}")


def test_a_proposal_can_be_withdrawn_or_rejected(cli_env: dict[str, str]) -> None:
    assert run_cli(cli_env, "init")[0] == 0
    assert run_cli(cli_env, "staff", "add", "--email", "ida@elastx.se", "--name", "Ida Berg")[0] == 0
    code, out = run_cli(cli_env, "staff", "grant", "ida@elastx.se", "privacy_officer", "--scope", "custos")
    assert "waiting for approval" in out
    number = re.search(r"\(grant (\d+)\)", out).group(1)  # type: ignore[union-attr]
    code, out = run_cli(cli_env, "staff", "reject", number)
    assert (code, f"Rejected grant {number}" in out) == (0, True), out
    code, out = run_cli(cli_env, "staff", "reject", number)
    assert (code, "not waiting for approval" in out) == (1, True)
    code, out = run_cli(cli_env, "roles", "add", "peek", "--permission", "register.read")
    assert code == 0, out  # the first administrator holds it
    assert run_cli(cli_env, "staff", "grants", "--pending")[1].strip().endswith("0 grants.")
