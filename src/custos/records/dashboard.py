"""The DPO dashboard's panels: one function per panel, each a few aggregate queries returning a typed summary.

Nothing here walks the register person by person, so the dashboard stays fast with a million people. The
retention panel counts the sweep's SQL prefilter (people who *may* fall due), which never leaves out anyone who
is due; the retention page has the exact plan. Only people already past due are judged exactly (the plan as of
yesterday): the daily sweep leaves none, so there are few to judge, and each one is a promise broken. When a
sweep has not run for a while there may be many: the panel then judges the first `PAST_DUE_LIMIT` and says
"at least", rather than walking the whole register on every page view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BooleanClauseList

from custos.access.models import Grant
from custos.clock import today
from custos.consent.models import ConsentRecord
from custos.db.base import UTCDateTime
from custos.incidents.service import list_incidents
from custos.register.models import Relationship
from custos.retention.candidates import candidate_clause
from custos.retention.plan import iter_plan
from custos.retention.rules import CompiledPolicy
from custos.work import Work

CONSENT_DAYS = 30
GRANT_DAYS = 30
RETENTION_HORIZONS = (30, 90)
# People past due the dashboard judges one by one before it says "at least N" (the retention page has them all).
PAST_DUE_LIMIT = 250
REQUEST_BUCKETS = ("overdue", "week", "fortnight", "later")


@dataclass(frozen=True)
class RequestsPanel:
    """Open data subject requests by days left to their deadline (Art. 12(3))."""

    buckets: dict[str, int]  # overdue | week (0–7 days) | fortnight (8–14) | later

    @property
    def total(self) -> int:
        return sum(self.buckets.values())


@dataclass(frozen=True)
class Breach:
    id: int
    summary: str
    deadline: datetime
    remaining_hours: float
    authority_notified: bool


@dataclass(frozen=True)
class BreachesPanel:
    """Open breaches and their 72-hour clocks (Art. 33(1))."""

    open: list[Breach]


@dataclass(frozen=True)
class RetentionPanel:
    """People past due (a sweep should have erased them, Art. 5(1)(e)) and, apart, those who may fall due
    within each horizon (days → people, not counting those already past due)."""

    due: dict[int, int]
    overdue: int = 0  # people due before today and not held: from the plan as of yesterday
    overdue_since: date | None = None  # the earliest day one of them fell due (None when `overdue_more`)
    overdue_more: bool = False  # the plan was cut at PAST_DUE_LIMIT people: `overdue` is a lower bound


@dataclass(frozen=True)
class ConsentRate:
    category: str
    granted: int
    percent: float | None


@dataclass(frozen=True)
class ConsentPanel:
    days: int
    records: int
    rates: list[ConsentRate]


@dataclass(frozen=True)
class FailedSystem:
    system_id: str
    name: str
    subject_ref: str
    finished_at: datetime


@dataclass(frozen=True)
class SystemsPanel:
    """Connected systems whose last erasure step failed."""

    failed: list[FailedSystem]


@dataclass(frozen=True)
class TasksPanel:
    """Manual system tasks nobody can do, those open longer than `days`, and systems without a usable owner."""

    unassigned: int
    late: int  # assigned, but open longer than `days` days
    days: int
    unowned_systems: list[str]  # names

    @property
    def attention(self) -> bool:
        return bool(self.unassigned or self.late or self.unowned_systems)


@dataclass(frozen=True)
class GrantsPanel:
    """Grants that end within the next days; the first to end first."""

    expiring: int
    first_ends: datetime | None


def requests_panel(work: Work) -> RequestsPanel:
    from custos.requests.models import SubjectRequest  # an area of its own; imported where it is used
    from custos.requests.states import OPEN

    now = today(work.clock)
    due = func.coalesce(SubjectRequest.extended_due_on, SubjectRequest.due_on)
    bucket = case(
        (due < now, "overdue"),
        (due <= now + timedelta(days=7), "week"),
        (due <= now + timedelta(days=14), "fortnight"),
        else_="later",
    ).label("bucket")
    rows = work.session.execute(
        select(bucket, func.count()).where(SubjectRequest.state.in_(sorted(OPEN))).group_by(bucket)
    ).all()
    found = {str(b): int(n) for b, n in rows}
    return RequestsPanel({b: found.get(b, 0) for b in REQUEST_BUCKETS})


def breaches_panel(work: Work) -> BreachesPanel:
    open_ = list_incidents(work, state="open")
    return BreachesPanel([Breach(i.id, i.summary, i.deadline, i.remaining_hours, i.authority_notified) for i in open_])


def _branches(clause: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    """The prefilter's per-activity parts: each alone can use an (activity, anchor) index, their OR cannot."""
    if isinstance(clause, BooleanClauseList) and clause.operator is operators.or_:
        return list(clause.clauses)
    return [clause]


def retention_panel(work: Work) -> RetentionPanel:
    session = work.session
    rules = CompiledPolicy.of(work.policy)
    start = today(work.clock)
    overdue, since, more = _past_due(session, rules, start)
    near_days, far_days = RETENTION_HORIZONS
    far = candidate_clause(rules, start + timedelta(days=far_days))
    if far is None:
        return RetentionPanel(dict.fromkeys(RETENTION_HORIZONS, 0), overdue, since, more)
    near = candidate_clause(rules, start + timedelta(days=near_days))
    soon = case((near, 1), else_=0) if near is not None else literal(0)
    # One pass over the relationships that may be due within the far horizon; the near one is a subset of it.
    due = union_all(
        *(select(Relationship.person_id, soon.label("soon")).where(branch) for branch in _branches(far))
    ).subquery()
    # One aggregate per person, then one count: cheaper than two DISTINCT counts, which each sort every row.
    people = select(due.c.person_id, func.max(due.c.soon).label("soon")).group_by(due.c.person_id).subquery()
    row = session.execute(select(func.coalesce(func.sum(people.c.soon), 0), func.count())).one()
    # Everyone past due is also a candidate of each horizon (a due date does not move): counted once, apart. When
    # the walk stopped at the limit, those past due it did not judge stay in the horizons' "up to" counts (an upper
    # bound still), rather than a second pass over the register to take them out.
    ahead = {near_days: max(int(row[0] or 0) - overdue, 0), far_days: max(int(row[1] or 0) - overdue, 0)}
    return RetentionPanel(ahead, overdue, since, more)


def _past_due(session: Session, rules: CompiledPolicy, start: date) -> tuple[int, date | None, bool]:
    """People the plan as of yesterday erases or trims (holds as they stand today), the earliest due day, and
    whether the walk stopped at PAST_DUE_LIMIT of them.

    Due today is not late: today's sweep may not have run yet. Due yesterday or before and still here is.
    """
    count, since = 0, None
    for planned in iter_plan(session, rules, start - timedelta(days=1), start):
        if planned.verdict.action == "keep":  # due, but a hold keeps it
            continue
        if count == PAST_DUE_LIMIT:
            return count, None, True
        count += 1
        days = [r.due_on for r in planned.verdict.removed if r.due_on is not None]
        if days and (since is None or min(days) < since):
            since = min(days)
    return count, since, False


def tasks_panel(work: Work, days: int) -> TasksPanel:
    """Open manual tasks that nobody can do (any age) or that are open longer than `days` days."""
    from custos.systems.ownership import unowned_systems, waiting_tasks  # an area of its own

    session, policy, now = work.session, work.policy, work.clock.now()
    waiting = waiting_tasks(session, policy, now, older_than_days=days)
    unassigned = sum(1 for task in waiting if task.problem is not None)
    names = {s.id: s.name for s in policy.systems}
    return TasksPanel(
        unassigned=unassigned,
        late=len(waiting) - unassigned,
        days=days,
        unowned_systems=[names.get(found.system, found.system) for found in unowned_systems(session, policy, now)],
    )


def consent_panel(work: Work) -> ConsentPanel:
    """Share of the last 30 days' choices that granted each category (the consent page's measure)."""
    policy = work.policy
    since = work.clock.now() - timedelta(days=CONSENT_DAYS)
    categories = [str(c.id) for c in policy.consent.categories] if policy.consent else []
    granted = [func.sum(case((ConsentRecord.choices[c].as_boolean(), 1), else_=0)) for c in categories]
    row = work.session.execute(select(func.count(), *granted).where(ConsentRecord.at >= since)).one()
    total = int(row[0] or 0)
    rates = [
        ConsentRate(c, int(n or 0), 100 * int(n or 0) / total if total else None)
        for c, n in zip(categories, row[1:], strict=True)
    ]
    return ConsentPanel(CONSENT_DAYS, total, rates)


def systems_panel(work: Work) -> SystemsPanel:
    from custos.systems.models import SystemRun  # an area of its own; imported where it is used

    last = (
        select(func.max(SystemRun.id).label("id"))
        .where(SystemRun.operation == "erase", SystemRun.status != "waiting")
        .group_by(SystemRun.system_id)
        .subquery()
    )
    rows = work.session.execute(
        select(SystemRun.system_id, SystemRun.subject_ref, SystemRun.finished_at)
        .join(last, last.c.id == SystemRun.id)
        .where(SystemRun.status == "failed")
        .order_by(SystemRun.system_id)
    ).all()
    names = {s.id: s.name for s in work.policy.systems}
    return SystemsPanel([FailedSystem(sid, names.get(sid, sid), ref, at) for sid, ref, at in rows])


def grants_panel(work: Work) -> GrantsPanel:
    now = work.clock.now()
    until = now + timedelta(days=GRANT_DAYS)
    # A proposal waiting for four eyes is not a grant in force, so it does not "end" either.
    active = and_(
        Grant.status == "active", Grant.revoked_at.is_(None), Grant.expires_at.is_not(None), Grant.expires_at > now
    )
    count, first = work.session.execute(
        select(func.count(), func.min(Grant.expires_at, type_=UTCDateTime())).where(active, Grant.expires_at <= until)
    ).one()
    return GrantsPanel(int(count or 0), first)
