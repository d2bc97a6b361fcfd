"""A lived-in demo: the synthetic register as it would stand after four months of use.

The register is seeded four months back and swept that day, as a new installation would be; a month and two
months later the daily sweep ran again and the owners of the manual systems confirmed what it asked of them.
Requests came in and were answered, visitors chose cookies every day, a breach was recorded, assessed and
closed, and this morning another one was opened. Today's sweep ends it, on the real clock.

Everything is done by the services, on a clock set to each moment (`custos.demo.timeline`), by the staff member
seeding the demo or, for the public pages, by the subject and the visitors; the same seed gives the same story.
Only what the person seeding may do is played: a story needing a permission they lack is left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from custos.access.permissions import CUSTOS_SCOPE
from custos.access.principal import Principal, holds
from custos.demo import breaches, subject_requests, visitors
from custos.demo.seed import SeedProgress, SeedReport, seed_register
from custos.demo.subject_requests import confirm_open_tasks
from custos.demo.timeline import Timeline
from custos.retention.sweep import run_sweep
from custos.retention.systems_step import SystemSteps
from custos.runtime import Runtime

HISTORY_DAYS = 120  # the installation's age on the day it is seeded
CONSENT_DAYS = 100  # cookie choices over more than the 90 days the consent chart shows
_PAST_SWEEPS = (60, 30)  # days ago, besides the first sweep on the day of seeding


@dataclass
class HistoryReport:
    register: SeedReport | None = None
    requests: subject_requests.RequestsPlayed | None = None
    visitors: visitors.VisitorsPlayed | None = None
    breaches: breaches.BreachesPlayed | None = None
    swept: list[int] = field(default_factory=list)  # people erased or trimmed, per sweep, oldest first
    steps: int = 0

    @property
    def today_swept(self) -> int:
        return self.swept[-1] if self.swept else 0


def seed_history(
    runtime: Runtime,
    principal: Principal,
    *,
    people: int,
    seed: int,
    workdir: Path,
    force: bool = False,
    register_progress: SeedProgress | None = None,
    history_progress: SeedProgress | None = None,
) -> HistoryReport:
    """Seed the register as of `HISTORY_DAYS` ago and play the demo's history up to now (`runtime.clock`)."""
    now = runtime.clock.now()
    start = (now - timedelta(days=HISTORY_DAYS)).replace(hour=8, minute=0, second=0, microsecond=0)
    timeline = Timeline(runtime, start)
    report = HistoryReport()
    actor = principal.actor

    def may(permission: str) -> bool:
        return holds(principal.grants, permission, CUSTOS_SCOPE, runtime.policy)

    def register(rt: Runtime) -> None:
        report.register = seed_register(rt, actor, people, seed, workdir, progress=register_progress, force=force)

    timeline.at(start, "seeding the register", register)
    if may("retention.run"):
        _sweeps(timeline, report, principal, start, now, may("systems.tasks"))
    if may("requests.manage") and may("systems.tasks"):
        report.requests = subject_requests.schedule(timeline, actor, seed, now)
    report.visitors = visitors.schedule(timeline, seed, now, CONSENT_DAYS)
    if may("incidents.manage"):
        report.breaches = breaches.schedule(timeline, actor, now)
    report.steps = timeline.play(history_progress)
    if may("retention.run"):
        # Today's sweep, on the real clock: the register starts as if the daily sweep had always run.
        report.swept.append(_sweep(runtime, principal))
    return report


def _sweeps(
    timeline: Timeline, report: HistoryReport, principal: Principal, start: datetime, now: datetime, confirm: bool
) -> None:
    def sweep(rt: Runtime) -> None:
        report.swept.append(_sweep(rt, principal))

    def owners(rt: Runtime) -> None:
        confirm_open_tasks(rt, principal.actor)

    moments = [start + timedelta(hours=1)]
    moments += [
        (now - timedelta(days=days)).replace(hour=3, minute=0, second=0, microsecond=0) for days in _PAST_SWEEPS
    ]
    for moment in moments:
        timeline.at(moment, "the daily retention sweep", sweep)
        if confirm:
            # The owners of the manual systems work through what the sweep asked of them the next day.
            timeline.at(moment + timedelta(days=1, hours=7), "system owners confirm their tasks", owners)


def _sweep(runtime: Runtime, principal: Principal) -> int:
    reports = run_sweep(runtime, principal.actor, trigger="cli", systems=SystemSteps(runtime))
    return sum(r.erased + r.trimmed for r in reports)
