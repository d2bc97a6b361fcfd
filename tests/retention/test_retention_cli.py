"""`custos retention …` as a DPO uses it: the plan as a table and CSV (also for a future day), a dry run,
a sweep with its summary, holds; and an auditor refused."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from retention_helpers import exists
from typer.testing import CliRunner

from conftest import AddOrganisation, AddPerson
from custos.cli.main import build_cli
from custos.clock import FixedClock
from custos.runtime import Runtime
from custos.settings import Settings


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    return {
        "CUSTOS_DATABASE_URL": settings.database_url,
        "CUSTOS_KEY_FILE": str(settings.key_file),
        "CUSTOS_POLICY_PATH": str(settings.policy_path),
        "COLUMNS": "250",
    }


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_cli(), list(args), env=env)
    return result.exit_code, result.output


def test_plan_shows_what_is_due_when_and_why_also_as_of_a_future_day(
    env: dict[str, str], runtime: Runtime, add_org: AddOrganisation, add_person: AddPerson, tmp_path: Path
) -> None:
    # The CLI's clock is the system clock: dates far in the past are due whenever the test runs.
    old = add_person("old@example.se", [{"subject_category": "prospect", "last_interaction_on": date(2001, 1, 31)}])
    later = add_person("later@example.se", [{"subject_category": "prospect", "last_interaction_on": date(2060, 2, 29)}])
    code, out = run(env, "retention", "plan", "--csv", str(tmp_path / "plan.csv"))
    assert code == 0, out
    assert old in out
    assert later not in out
    assert "2011-01-31" in out
    assert "last_interaction" in out
    assert "1 people to erase" in out
    with (tmp_path / "plan.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["person_ref"], r["action"], r["activity"], r["due_on"]) for r in rows] == [
        (old, "erase", "prospects", "2011-01-31")
    ]
    code, out = run(env, "retention", "plan", "--at", "2070-02-28")
    assert code == 0, out
    assert later in out
    assert "2070-02-28" in out
    assert "2 people to erase" in out


def test_dry_run_changes_nothing_and_sweep_erases_with_a_summary(
    env: dict[str, str], runtime: Runtime, add_person: AddPerson
) -> None:
    ref = add_person("due@example.se", [{"subject_category": "prospect", "last_interaction_on": date(2005, 5, 5)}])
    code, out = run(env, "retention", "sweep", "--dry-run")
    assert code == 0, out
    assert "1 people would be erased" in out
    assert exists(runtime, ref)
    code, out = run(env, "retention", "sweep", "--yes")
    assert code == 0, out
    assert "Retention sweep" in out
    assert not exists(runtime, ref)
    code, out = run(env, "retention", "sweeps")
    assert code == 0, out
    assert "done" in out


def test_holds_from_the_command_line(
    env: dict[str, str], runtime: Runtime, clock: FixedClock, add_person: AddPerson
) -> None:
    ref = add_person("held@example.se", [{"subject_category": "prospect", "last_interaction_on": date(2005, 5, 5)}])
    code, out = run(
        env, "retention", "hold", "add", "--person", ref, "--reason", "Claim 2026-3", "--until", "2099-12-31"
    )
    assert code == 0, out
    code, out = run(env, "retention", "hold", "list")
    assert "Claim 2026-3" in out
    code, out = run(env, "retention", "sweep", "--yes")
    assert code == 0, out
    assert exists(runtime, ref)
    code, out = run(env, "retention", "hold", "release", "1")
    assert code == 0, out
    code, out = run(env, "retention", "hold", "release", "1")
    assert code == 1
    assert "already released" in out
    assert run(env, "retention", "sweep", "--yes")[0] == 0
    assert not exists(runtime, ref)


def test_an_auditor_may_not_read_the_plan(env: dict[str, str], runtime: Runtime, staff_factory: object) -> None:
    auditor = staff_factory("auditor")  # type: ignore[operator]
    code, out = run({**env, "CUSTOS_ACTOR": auditor.email}, "retention", "plan")
    assert code == 1
    assert "retention.read" in out


def test_worker_once_runs_the_daily_sweep_when_due(env: dict[str, str], runtime: Runtime, clock: FixedClock) -> None:
    code, out = run(env, "worker", "--once")
    assert code == 0, out
    assert "nothing was due" in out  # a fresh schedule is first due at the next 03:00 UTC
