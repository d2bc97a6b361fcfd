"""`custos doctor` and the dashboard's panel: every invariant checked on live data, with the fix per finding.

Each check runs in its own savepoint, so one that fails (say a connected area whose table is missing on an old
database) is reported as not checked instead of hiding the others' findings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice

from sqlalchemy import select

from custos.audit.actions import Action
from custos.audit.models import AuditEvent
from custos.invariants.catalogue import INVARIANTS, Invariant, invariant
from custos.invariants.finding import Finding, InvariantContext
from custos.work import Work

# Findings kept per invariant; a register with a systematic problem would otherwise print a million lines.
LIMIT = 100


@dataclass(frozen=True)
class Outcome:
    invariant: Invariant
    findings: tuple[Finding, ...]
    more: bool  # there were more findings than the limit
    error: str | None = None  # the check could not run

    @property
    def holds(self) -> bool:
        return not self.findings and not self.more and self.error is None


@dataclass(frozen=True)
class Examination:
    outcomes: tuple[Outcome, ...] = field(default_factory=tuple)

    @property
    def healthy(self) -> bool:
        return all(outcome.holds for outcome in self.outcomes)

    @property
    def broken(self) -> tuple[Outcome, ...]:
        return tuple(outcome for outcome in self.outcomes if not outcome.holds)


def examine(work: Work, ctx: InvariantContext, *, only: Iterable[str] | None = None, limit: int = LIMIT) -> Examination:
    """Every invariant (or those in `only`) checked, unaudited: for callers that show no finding's record (the
    dashboard names broken promises only) and for tests; whoever shows the findings calls `run_doctor`."""
    wanted = set(only) if only is not None else None
    outcomes = []
    for entry in INVARIANTS:
        if wanted is not None and entry.id not in wanted:
            continue
        outcomes.append(_run(work, ctx, entry, limit))
    return Examination(tuple(outcomes))


def run_doctor(work: Work, ctx: InvariantContext, *, only: Iterable[str] | None = None) -> Examination:
    """`examine`, audited: the findings name people by ref, so looking at them is a read (Art. 5(2))."""
    result = examine(work, ctx, only=only)
    work.audit(
        Action.DOCTOR_RUN,
        details={
            "as_of": ctx.on.isoformat(),
            "checked": [o.invariant.id for o in result.outcomes if o.error is None],
            "broken": [o.invariant.id for o in result.broken],
            "findings": sum(len(o.findings) for o in result.outcomes),
        },
    )
    return result


def _run(work: Work, ctx: InvariantContext, entry: Invariant, limit: int) -> Outcome:
    savepoint = work.session.begin_nested()
    try:
        found = list(islice(iter(entry.check(work, ctx)), limit + 1))
    except Exception as exc:  # a check that cannot run must not hide the others
        savepoint.rollback()
        return Outcome(entry, (), False, f"{type(exc).__name__}: {exc}")
    savepoint.commit()
    return Outcome(entry, tuple(found[:limit]), len(found) > limit)


JOB_NAME = "doctor"


@dataclass(frozen=True)
class LastCheck:
    """What the newest doctor run found of some invariants: when it ran, which it checked, which were broken."""

    at: datetime
    as_of: date
    checked: frozenset[str]
    broken: tuple[Invariant, ...]


def last_check(work: Work, wanted: Iterable[str], since: datetime) -> LastCheck | None:
    """The newest doctor run since `since` that checked every one of `wanted`, read from the audit log.

    The audit log is the record of every run (CLI, page, daily job) and cannot be edited, so the dashboard's
    "as of the last check" is exactly what a run reported, not a copy that could drift from it.
    """
    needed = set(wanted)
    rows = work.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.at >= since, AuditEvent.action == Action.DOCTOR_RUN.value)
        .order_by(AuditEvent.seq.desc())
        .limit(50)
    )
    for event in rows:
        details = event.details
        checked = details.get("checked")
        as_of = details.get("as_of")
        if not isinstance(checked, list) or not isinstance(as_of, str) or not needed <= set(map(str, checked)):
            continue  # a run with --only, or one from before runs named what they checked
        broken = details.get("broken")
        ids = [str(i) for i in broken] if isinstance(broken, list) else []
        return LastCheck(
            at=event.at,
            as_of=date.fromisoformat(as_of),
            checked=frozenset(map(str, checked)),
            broken=tuple(invariant(i) for i in ids if i in needed and _known(i)),
        )
    return None


def _known(invariant_id: str) -> bool:
    return any(entry.id == invariant_id for entry in INVARIANTS)
