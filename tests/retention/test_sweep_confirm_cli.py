"""`custos retention sweep` says how many people it would erase and asks first (`--yes` for cron), and
`custos retention tombstones list|show` shows the proof of each erasure (issue 13 item 11)."""

from __future__ import annotations

from datetime import date

from retention_helpers import exists, tombstones
from sqlalchemy import func, select
from typer.testing import CliRunner

from conftest import AddPerson
from custos.audit import AuditEvent
from custos.cli.main import build_cli
from custos.runtime import Runtime
from custos.settings import Settings

DUE = {"subject_category": "prospect", "last_interaction_on": date(2005, 5, 5)}  # due 2015-05-05


def _env(settings: Settings) -> dict[str, str]:
    return {
        "CUSTOS_DATABASE_URL": settings.database_url,
        "CUSTOS_KEY_FILE": str(settings.key_file),
        "CUSTOS_POLICY_PATH": str(settings.policy_path),
        "COLUMNS": "250",
    }


def run(settings: Settings, *args: str, answer: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(build_cli(), list(args), env=_env(settings), input=answer)
    return result.exit_code, result.output


def _audited(runtime: Runtime, action: str) -> int:
    with runtime.db.transaction() as session:
        return int(session.scalar(select(func.count()).where(AuditEvent.action == action)) or 0)


def test_the_sweep_asks_before_erasing_and_no_answer_erases_nothing(
    settings: Settings, runtime: Runtime, add_person: AddPerson
) -> None:
    ref = add_person("due@example.se", [DUE])
    for answer in (None, "n\n"):
        code, out = run(settings, "retention", "sweep", answer=answer)
        assert code == 1, out
        assert "1 people would be erased" in out
        assert "Erase and trim these 1 people now?" in out
        assert "nothing was erased" in out
        assert "--yes" in out
        assert exists(runtime, ref)
    code, out = run(settings, "retention", "sweep", answer="y\n")
    assert code == 0, out
    assert "Retention sweep" in out
    assert not exists(runtime, ref)


def test_yes_sweeps_without_asking(settings: Settings, runtime: Runtime, add_person: AddPerson) -> None:
    ref = add_person("due@example.se", [DUE])
    code, out = run(settings, "retention", "sweep", "--yes")
    assert code == 0, out
    assert "Erase and trim" not in out
    assert not exists(runtime, ref)


def test_tombstones_list_and_show_without_personal_data(
    settings: Settings, runtime: Runtime, add_person: AddPerson
) -> None:
    ref = add_person("due@example.se", [DUE])
    other = add_person("other@example.se", [DUE])
    assert run(settings, "retention", "sweep", "--yes")[0] == 0
    (stone,) = tombstones(runtime, ref)
    code, out = run(settings, "retention", "tombstones", "list")
    assert code == 0, out
    assert ref in out
    assert other in out
    assert "1–2 of 2 tombstones" in out
    code, out = run(settings, "retention", "tombstones", "list", "--ref", ref)
    assert code == 0, out
    assert other not in out
    assert "1–1 of 1 tombstones" in out
    code, out = run(settings, "retention", "tombstones", "show", str(stone.id))
    assert code == 0, out
    assert f"person {ref} erase" in out
    assert "prospects" in out
    assert "2015-05-05" in out
    assert "register" in out
    assert "due@example.se" not in out
    assert "Test Person" not in out
    code, out = run(settings, "retention", "tombstones", "show", "999999")
    assert code == 1
    assert "no tombstone 999999" in out
    assert _audited(runtime, "retention.tombstones") == 2
    assert _audited(runtime, "retention.tombstone_read") == 1


def test_an_auditor_may_not_read_tombstones(settings: Settings, runtime: Runtime, staff_factory: object) -> None:
    auditor = staff_factory("auditor")  # type: ignore[operator]
    env = {**_env(settings), "CUSTOS_ACTOR": auditor.email}
    result = CliRunner().invoke(build_cli(), ["retention", "tombstones", "list"], env=env)
    assert result.exit_code == 1
    assert "retention.read" in result.output
