"""A lived-in demo: requests at different days left, consent over months, breaches, sweeps — every one written by
the services on a clock set back, so the doctor finds every promise kept and the audit chain verifies."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from custos.access.identify import for_cli
from custos.actor import Actor
from custos.audit.verify import verify
from custos.consent.models import ConsentRecord
from custos.demo.history import HistoryReport, seed_history
from custos.demo.owners import hand_unowned_systems
from custos.incidents.service import get_incident, list_incidents
from custos.invariants.doctor import examine
from custos.invariants.finding import InvariantContext
from custos.requests import cases
from custos.requests.models import SubjectRequest
from custos.requests.states import OPEN
from custos.retention.models import RetentionSweep
from custos.runtime import Runtime, open_runtime
from custos.settings import Settings
from custos.setup import initialise
from custos.systems.tasks import list_tasks
from custos.work import Work


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return replace(settings, outbox_dir=tmp_path / "outbox", packages_dir=tmp_path / "packages")


@pytest.fixture
def lived_in(runtime: Runtime, tmp_path: Path) -> HistoryReport:
    """What `custos demo seed` does on a fresh installation, as its first administrator."""
    with runtime.db.transaction() as session:
        principal = for_cli(session, runtime.clock, None, default_to_bootstrap_admin=True)
    with runtime.work(principal.actor) as work:
        hand_unowned_systems(work, principal.staff_id)
    workdir = tmp_path / "work"
    workdir.mkdir()
    return seed_history(runtime, principal, people=80, seed=5, workdir=workdir)


def test_open_requests_of_each_kind_spread_over_the_month_and_answered_ones(
    runtime: Runtime, lived_in: HistoryReport
) -> None:
    today = runtime.clock.now().date()
    with runtime.db.transaction() as session:
        requests = list(session.scalars(select(SubjectRequest)))
        summaries = [cases.summary(r, today) for r in requests]
    open_ones = sorted((s for s in summaries if s.state in OPEN), key=lambda s: s.received_at)
    answered = sorted(s.kind for s in summaries if s.state == "completed")
    assert [(s.kind, s.state) for s in open_ones] == [
        ("access", "in_progress"),
        # The employee's erasure waits for its Art. 17(3) assessment (the example policy reviews those).
        ("erasure", "assessing"),
        ("erasure", "in_progress"),
        ("objection_other", "verifying"),
    ]
    assert answered == ["access", "erasure", "objection_marketing"]
    assert open_ones[0].ready  # the systems have answered the access request; staff send it
    assert not open_ones[2].ready  # the customer contact's erasure waits for the systems' owners
    with runtime.work(Actor.system("test")) as work:
        waiting = list_tasks(work, [s.id for s in runtime.policy.systems], state="open")
    assert waiting  # the owners' queue has something in it
    days = sorted(s.days_left for s in open_ones)
    assert all(d >= 0 for d in days)  # none overdue
    assert days[0] <= 7, days
    assert 8 <= days[1] <= 25, days
    assert days[-1] > 25, days
    assert all(s.received_at.date() < today for s in summaries)


def test_consent_spreads_over_more_than_ninety_days_with_every_kind_of_choice(
    runtime: Runtime, lived_in: HistoryReport
) -> None:
    now = runtime.clock.now()
    with runtime.db.transaction() as session:
        records = list(session.scalars(select(ConsentRecord).order_by(ConsentRecord.seq)))
    times = [r.at for r in records]
    assert min(times) <= now - timedelta(days=90)
    assert max(times) < now
    assert times == sorted(times)  # recorded as they happened, in order
    assert len({at.date() for at in times}) >= 90  # a choice on (nearly) every day, so the chart has a shape
    kinds = {r.kind for r in records}
    methods = {r.method for r in records}
    assert {"consent", "refusal", "withdrawal"} <= kinds
    assert {"banner", "settings", "gpc"} <= methods
    assert all(r.gpc == (r.method == "gpc") for r in records)
    assert all(r.expires_at - r.at <= timedelta(days=365) for r in records)
    partial = [r for r in records if r.kind == "consent" and not all(r.choices.values())]
    assert partial or len(records[0].choices) == 1
    assert lived_in.visitors is not None
    assert lived_in.visitors.records == len(records)


def test_one_breach_runs_its_72_hours_one_is_closed_and_sweeps_have_a_history(
    runtime: Runtime, lived_in: HistoryReport
) -> None:
    now = runtime.clock.now()
    with runtime.db.transaction() as session:
        work = Work(session, runtime.clock, runtime.keys, runtime.policy, Actor.system("test"))
        incidents = list_incidents(work)
        running = [i for i in incidents if i.state == "open"]
        closed = [i for i in incidents if i.state == "closed"]
        assert len(running) == 1
        assert len(closed) == 1
        assert now < running[0].deadline <= now + timedelta(hours=72)
        assert not running[0].authority_notified
        timeline = get_incident(work, running[0].id).timeline
        assert [e.kind for e in timeline] == ["open", "update"]
        assert closed[0].decision == "not_notify"
        sweeps = list(session.scalars(select(RetentionSweep).order_by(RetentionSweep.id)))
    assert len(sweeps) == 4
    assert all(s.state == "done" for s in sweeps)
    assert sweeps[0].as_of <= (now - timedelta(days=119)).date()
    assert sweeps[-1].as_of == now.date()
    assert [s.as_of for s in sweeps] == sorted(s.as_of for s in sweeps)


def test_after_the_story_every_promise_holds_and_the_audit_chain_verifies(
    runtime: Runtime, lived_in: HistoryReport
) -> None:
    with runtime.work(Actor.system("test")) as work:
        result = examine(work, InvariantContext.of(runtime))
    assert result.healthy, [(o.invariant.id, o.findings) for o in result.broken]
    report = verify(runtime.db)
    assert report.ok, report.reason
    assert report.events_checked > 50


def _story(runtime: Runtime) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[object, ...]]]:
    with runtime.db.transaction() as session:
        requests = [
            (r.kind, r.state, r.channel, r.received_at, r.due_on)
            for r in session.scalars(select(SubjectRequest).order_by(SubjectRequest.id))
        ]
        consent = [
            (c.at, c.kind, c.method, tuple(sorted(c.choices.items())))
            for c in session.scalars(select(ConsentRecord).order_by(ConsentRecord.seq))
        ]
        sweeps = [
            (s.as_of, s.erased, s.trimmed) for s in session.scalars(select(RetentionSweep).order_by(RetentionSweep.id))
        ]
    return requests, consent, sweeps


def test_the_same_seed_tells_the_same_story(runtime: Runtime, settings: Settings, tmp_path: Path) -> None:
    """Two installations seeded alike on the same day have the same requests, choices and sweeps (only the
    random references and visitor ids differ: they are secrets, not story). Both on SQLite files of their own,
    whichever backend the suite runs on: the story does not depend on the database."""
    stories = []
    for name in ("one", "two"):
        other = replace(settings, database_url=f"sqlite:///{tmp_path / name}.db", key_file=tmp_path / f"{name}.key")
        initialise(other, runtime.clock)
        rt = open_runtime(other, runtime.clock)
        try:
            with rt.db.transaction() as session:
                principal = for_cli(session, rt.clock, None, default_to_bootstrap_admin=True)
            with rt.work(principal.actor) as unit:
                hand_unowned_systems(unit, principal.staff_id)
            work = tmp_path / f"work-{name}"
            work.mkdir()
            seed_history(rt, principal, people=30, seed=9, workdir=work)
            stories.append(_story(rt))
        finally:
            rt.close()
    assert stories[0] == stories[1]
    requests, consent, sweeps = stories[0]
    assert requests
    assert consent
    assert sweeps
