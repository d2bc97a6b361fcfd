"""kill -9 a sweep in the middle of a batch, run it again: everyone erased exactly once, every tombstone there.

The killed sweep runs in a process of its own, `paused_sweep.py` (the sweep as `custos retention sweep --yes
--batch 2` runs it, with a test-only hook handed to `run_sweep`): it stops, mid-transaction, once N tasks are
committed, so the kill lands at a known point: after the deletes, tombstones and audit events of the open
batch, before its commit. The run that finishes it is the real `python -m custos retention sweep`.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from paused_sweep import MARKER
from retention_helpers import exists, tombstones
from sqlalchemy import func
from sqlalchemy import select as sql_select

from conftest import AddPerson
from custos.audit import AuditEvent, verify
from custos.retention.models import RetentionSweep, RetentionTask
from custos.runtime import Runtime
from custos.settings import Settings

PEOPLE = 9
PAUSED_SWEEP = Path(__file__).with_name("paused_sweep.py")


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "CUSTOS_DATABASE_URL": settings.database_url,
        "CUSTOS_KEY_FILE": str(settings.key_file),
        "CUSTOS_POLICY_PATH": str(settings.policy_path),
        **extra,
    }


def _sweep_until_paused(settings: Settings, pause_after: int) -> None:
    command = [sys.executable, str(PAUSED_SWEEP), str(pause_after)]
    process = subprocess.Popen(command, env=_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    seen = b""
    try:
        while MARKER.encode() not in seen:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"the sweep never paused: {seen.decode(errors='replace')}"
            ready, _, _ = select.select([process.stderr], [], [], remaining)
            chunk = os.read(process.stderr.fileno(), 4096) if ready else b""
            assert chunk or process.poll() is None, f"the sweep ended before pausing: {seen.decode(errors='replace')}"
            seen += chunk
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL


@pytest.mark.parametrize("pause_after", [0, 4])
def test_a_killed_sweep_finishes_on_the_next_run_erasing_each_person_once(
    pause_after: int, runtime: Runtime, settings: Settings, add_person: AddPerson
) -> None:
    refs = [
        add_person(f"k{i}@example.se", [{"subject_category": "prospect", "last_interaction_on": date(2010, 3, i + 1)}])
        for i in range(PEOPLE)
    ]
    _sweep_until_paused(settings, pause_after)
    with runtime.db.transaction() as session:
        done = session.scalar(sql_select(func.count()).select_from(RetentionTask).where(RetentionTask.state == "done"))
        pending = session.scalar(
            sql_select(func.count()).select_from(RetentionTask).where(RetentionTask.state == "pending")
        )
    # Exactly the committed batches happened; the killed batch left no trace.
    assert (done, pending) == (pause_after, PEOPLE - pause_after)
    assert sum(not exists(runtime, ref) for ref in refs) == pause_after
    assert sum(len(tombstones(runtime, ref)) for ref in refs) == pause_after

    again = subprocess.run(
        [sys.executable, "-m", "custos", "retention", "sweep", "--yes"],
        env=_env(settings),
        capture_output=True,
        text=True,
    )
    assert again.returncode == 0, again.stderr
    with runtime.db.transaction() as session:
        first = session.scalars(sql_select(RetentionSweep).order_by(RetentionSweep.id)).first()
        assert first is not None
        assert (first.state, first.planned, first.erased) == ("done", PEOPLE, PEOPLE)
        erasures = session.scalars(
            sql_select(AuditEvent.subject).where(AuditEvent.action == "person.erase").order_by(AuditEvent.subject)
        ).all()
    assert sorted(erasures) == sorted(refs)  # one audit event per person, none twice
    for ref in refs:
        assert not exists(runtime, ref)
        (stone,) = tombstones(runtime, ref)
        assert stone.sweep_id == first.id
        assert stone.entries[0]["activity"] == "prospects"
    assert verify(runtime.db).ok
