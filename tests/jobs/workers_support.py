"""Shared by the tests of workers sharing a queue: a register with many people due, a batch of verified
requests, real `custos worker` processes, and the checks that nothing was done twice."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from custos.actor import Actor
from custos.audit import AuditEvent
from custos.register.models import Person
from custos.register.people import add_person
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.requests import cases
from custos.requests.models import SubjectRequest
from custos.requests.schemas import RequestCreate
from custos.retention.models import Tombstone
from custos.runtime import Runtime
from custos.settings import Settings

ROOT = Path(__file__).resolve().parent.parent.parent
TESTER = Actor.system("test")


def register_only_policy(settings: Settings, directory: Path) -> Path:
    """The example policy with no activity in a connected system: a sweep's and a request's work is all in the
    register, so what the workers share is what is measured (the systems' own steps have tests of their own)."""
    original = Path(settings.policy_path).read_text(encoding="utf-8")
    path = directory / "policy.yaml"
    path.write_text(re.sub(r"(?m)^    systems: \[.*\]$", "    systems: []", original), encoding="utf-8")
    return path


def add_due_people(runtime: Runtime, count: int) -> list[str]:
    """`count` prospects last met in 2010: due for erasure on any day of the sweep."""
    refs: list[str] = []
    for start in range(0, count, 500):
        with runtime.work(TESTER) as work:
            for i in range(start, min(count, start + 500)):
                created = add_person(
                    work,
                    PersonCreate(
                        name=f"Due {i}",
                        emails=[f"due{i}@example.se"],
                        relationships=[
                            RelationshipCreate(subject_category="prospect", last_interaction_on=date(2010, 3, 1))
                        ],
                    ),
                )
                refs.append(created.ref)
    return refs


def add_requests(runtime: Runtime, count: int) -> list[str]:
    """`count` restriction requests (Art. 18), identity confirmed by staff, each of a person met this year."""
    refs: list[str] = []
    with runtime.work(TESTER) as work:
        for i in range(count):
            email = f"asks{i}@example.se"
            add_person(
                work,
                PersonCreate(
                    name=f"Asks {i}",
                    emails=[email],
                    relationships=[
                        RelationshipCreate(subject_category="prospect", last_interaction_on=date(2026, 10, 1))
                    ],
                ),
            )
            req, _secret = cases.create(work, RequestCreate(kind="restriction", email=email), channel="staff")
            cases.move(work, req, "verified", note="identity confirmed by staff")
            refs.append(req.ref)
    return refs


def worker_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "CUSTOS_DATABASE_URL": settings.database_url,
        "CUSTOS_KEY_FILE": str(settings.key_file),
        "CUSTOS_POLICY_PATH": str(settings.policy_path),
        "CUSTOS_OUTBOX_DIR": str(settings.outbox_dir),
        "CUSTOS_PACKAGES_DIR": str(settings.packages_dir),
        "CUSTOS_QUEUE": settings.queue,
        "CUSTOS_WORKER": "off",
    }


def start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    """A real `python -m custos worker`, ticking every second; its output goes to `log`."""
    command = [sys.executable, "-m", "custos", "worker", "--interval", "1"]
    with log.open("wb") as out:
        return subprocess.Popen(command, env=worker_env(settings), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (procrastinate lets a running task finish), then SIGKILL if it will not go."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)


def wait_until(done: Callable[[], bool], what: str, workers: list[subprocess.Popen[bytes]], logs: list[Path]) -> None:
    """Poll until `done()`, failing with the workers' logs when a worker dies or it takes over ten minutes."""
    deadline = time.monotonic() + 600
    while not done():
        for process, log in zip(workers, logs, strict=True):
            assert process.poll() is None, f"a worker ended ({process.returncode}) before {what}:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"not {what} after 10 minutes:\n" + "\n".join(p.read_text() for p in logs)
        time.sleep(0.5)


def erased_once(runtime: Runtime, refs: list[str], sweep_id: int) -> None:
    """Each person is gone from the register, with exactly one tombstone (of this sweep) and one person.erase
    event, and nobody else was erased."""
    with runtime.db.transaction() as session:
        left = session.scalar(select(func.count()).select_from(Person).where(Person.ref.in_(refs)))
        stones = dict(
            session.execute(
                select(Tombstone.subject_ref, func.count())
                .where(Tombstone.subject_ref.in_(refs))
                .group_by(Tombstone.subject_ref)
            ).all()
        )
        stone_sweeps = set(session.scalars(select(Tombstone.sweep_id).where(Tombstone.subject_ref.in_(refs))))
        events = dict(
            session.execute(
                select(AuditEvent.subject, func.count())
                .where(AuditEvent.action == "person.erase")
                .group_by(AuditEvent.subject)
            ).all()
        )
    assert left == 0
    assert stones == dict.fromkeys(refs, 1)
    assert stone_sweeps == {sweep_id}
    assert events == dict.fromkeys(refs, 1)


def answered_once(runtime: Runtime, refs: list[str], outbox: Path) -> None:
    """Each request is completed, with exactly one `request.completed` event and one completion letter."""
    with runtime.db.transaction() as session:
        states = dict(session.execute(select(SubjectRequest.ref, SubjectRequest.state)).all())
        completed = dict(
            session.execute(
                select(AuditEvent.target, func.count())
                .where(AuditEvent.action == "request.completed")
                .group_by(AuditEvent.target)
            ).all()
        )
    assert {ref: states[ref] for ref in refs} == dict.fromkeys(refs, "completed")
    assert completed == {f"request:{ref}": 1 for ref in refs}
    letters = [path.read_text(errors="replace") for path in outbox.glob("*.eml")]
    for i in range(len(refs)):
        assert sum(1 for text in letters if f"asks{i}@example.se" in text) == 1, f"asks{i}: not one letter"
