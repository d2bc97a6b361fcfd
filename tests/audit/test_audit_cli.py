"""`custos audit verify|seal|heads|prove|check-proof|export`, driven as an operator would."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from custos.actor import Actor
from custos.audit import record
from custos.audit.chain import exported_hash
from custos.cli.main import build_cli
from custos.clock import FixedClock
from custos.db import Database, make_engine
from custos.settings import Settings
from tampering import tampering


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


def add_events(url: str, clock: FixedClock, n: int) -> None:
    db = Database(make_engine(url))
    try:
        with db.transaction() as session:
            for _ in range(n):
                record(
                    session, clock, Actor(kind="staff", id=3, label="staff:3"), "person.read", subject=str(uuid.uuid4())
                )
    finally:
        db.dispose()


def test_verify_reports_an_intact_log(env: dict[str, str], settings: Settings, clock: FixedClock) -> None:
    assert run(env, "init")[0] == 0
    add_events(settings.database_url, clock, 12)
    code, out = run(env, "audit", "verify")
    assert code == 0, out
    assert "audit log intact" in out
    assert "events verified" in out
    assert "head hash:" in out


def test_verify_names_the_first_broken_link(env: dict[str, str], settings: Settings, clock: FixedClock) -> None:
    assert run(env, "init")[0] == 0
    add_events(settings.database_url, clock, 12)
    # What the sealer next to a running server does within seconds; tampering comes after.
    code, out = run(env, "audit", "seal")
    assert code == 0, out
    assert "sealed" in out
    db = Database(make_engine(settings.database_url))
    try:
        with tampering(db.engine) as connection:
            first = connection.execute(
                text("SELECT min(seq) FROM audit_event WHERE action = 'person.read'")
            ).scalar_one()
            connection.execute(text("DELETE FROM audit_event WHERE seq = :seq"), {"seq": first + 4})
    finally:
        db.dispose()
    code, out = run(env, "audit", "verify")
    assert code == 1
    assert f"broken at event {first + 4}" in out
    assert "missing from block 1 (deleted?)" in out
    assert "Traceback" not in out


def test_export_writes_json_lines(env: dict[str, str], settings: Settings, clock: FixedClock, tmp_path: Path) -> None:
    assert run(env, "init")[0] == 0
    add_events(settings.database_url, clock, 7)
    output = tmp_path / "audit.jsonl"
    code, out = run(env, "audit", "export", "--from", "2026-11-29", "--to", "2026-11-29", "--output", str(output))
    assert code == 0, out
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    reads = [line for line in lines if line["action"] == "person.read"]
    assert len(reads) == 7
    assert all(exported_hash(line) == line["hash"] for line in lines)
    assert {"seq", "hash", "at", "actor_label"} <= lines[0].keys()
    assert f"exported {len(lines)} events" in out
    # Handing the log out is itself audited.
    code, out = run(env, "audit", "export", "--from", "2000-01-01", "--to", "2100-01-01")
    assert code == 0
    assert '"action":"audit.export"' in out


def test_a_proof_of_one_event_checks_offline_and_a_forged_one_does_not(
    env: dict[str, str], settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    assert run(env, "init")[0] == 0
    add_events(settings.database_url, clock, 9)
    assert run(env, "audit", "seal")[0] == 0
    proof_file, heads_file = tmp_path / "proof.json", tmp_path / "heads.jsonl"
    code, out = run(env, "audit", "prove", "5", "--output", str(proof_file))
    assert code == 0, out
    code, out = run(env, "audit", "heads", "--output", str(heads_file))
    assert code == 0, out
    heads = [json.loads(line) for line in heads_file.read_text(encoding="utf-8").splitlines()]
    proof = json.loads(proof_file.read_text(encoding="utf-8"))
    assert proof["block"]["head"] in {line["head"] for line in heads}
    assert all(line["signature"] and line["public_key"] for line in heads)
    code, out = run(env, "audit", "check-proof", str(proof_file), "--head", proof["block"]["head"])
    assert code == 0, out
    assert "proof holds: event 5" in out
    proof["event"]["outcome"] = "denied"
    proof_file.write_text(json.dumps(proof), encoding="utf-8")
    code, out = run(env, "audit", "check-proof", str(proof_file))
    assert code == 1
    assert "the event does not hash to its hash" in out
    # Handing out heads and proofs is itself audited.
    code, out = run(env, "audit", "export", "--from", "2000-01-01", "--to", "2100-01-01")
    assert '"action":"audit.heads"' in out
    assert '"action":"audit.proof"' in out


def test_an_unsealed_event_cannot_be_proved_yet(env: dict[str, str], settings: Settings, clock: FixedClock) -> None:
    assert run(env, "init")[0] == 0
    run(env, "audit", "seal")
    add_events(settings.database_url, clock, 1)
    db = Database(make_engine(settings.database_url))
    try:
        with db.engine.connect() as connection:
            newest = connection.execute(text("SELECT max(seq) FROM audit_event")).scalar_one()
    finally:
        db.dispose()
    code, out = run(env, "audit", "prove", str(newest))
    assert code == 1
    assert "not sealed yet" in out


def test_export_refuses_a_backwards_range(env: dict[str, str]) -> None:
    assert run(env, "init")[0] == 0
    code, out = run(env, "audit", "export", "--from", "2026-12-02", "--to", "2026-12-01")
    assert code == 1
    assert "starts (2026-12-02) after it ends (2026-12-01)" in out


def test_a_worker_seals_what_was_appended(env: dict[str, str], settings: Settings, clock: FixedClock) -> None:
    assert run(env, "init")[0] == 0
    add_events(settings.database_url, clock, 4)
    code, out = run(env, "worker", "--once")
    assert code == 0, out
    db = Database(make_engine(settings.database_url))
    try:
        with db.engine.connect() as connection:
            newest = connection.execute(text("SELECT max(seq) FROM audit_event")).scalar_one()
            sealed = connection.execute(text("SELECT last_seq FROM audit_head")).scalar_one()
    finally:
        db.dispose()
    # Sealed as the worker ends, after its own jobs appended theirs.
    assert sealed == newest > 4


def test_verify_says_one_block_not_one_blocks(env: dict[str, str], settings: Settings, clock: FixedClock) -> None:
    assert run(env, "init")[0] == 0
    add_events(settings.database_url, clock, 3)
    code, out = run(env, "audit", "verify")
    assert code == 0, out
    assert " in 1 sealed block\n" in out.replace("  ", " ")
