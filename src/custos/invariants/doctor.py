"""`custos doctor` and the dashboard's panel: every invariant checked on live data, with the fix per finding.

Each check runs in its own savepoint, so one that fails (say a connected area whose table is missing on an old
database) is reported as not checked instead of hiding the others' findings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice

from sqlalchemy.orm import Session

from custos import audit
from custos.actor import Actor
from custos.clock import Clock
from custos.invariants.catalogue import INVARIANTS, Invariant
from custos.invariants.finding import Finding, InvariantContext

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


def examine(
    session: Session, ctx: InvariantContext, *, only: Iterable[str] | None = None, limit: int = LIMIT
) -> Examination:
    wanted = set(only) if only is not None else None
    outcomes = []
    for entry in INVARIANTS:
        if wanted is not None and entry.id not in wanted:
            continue
        outcomes.append(_run(session, ctx, entry, limit))
    return Examination(tuple(outcomes))


def run_doctor(
    session: Session, clock: Clock, actor: Actor, ctx: InvariantContext, *, only: Iterable[str] | None = None
) -> Examination:
    """`examine`, audited: the findings name people by ref, so looking at them is a read (Art. 5(2))."""
    result = examine(session, ctx, only=only)
    audit.record(
        session,
        clock,
        actor,
        "doctor.run",
        details={
            "as_of": ctx.on.isoformat(),
            "broken": [o.invariant.id for o in result.broken],
            "findings": sum(len(o.findings) for o in result.outcomes),
        },
    )
    return result


def _run(session: Session, ctx: InvariantContext, entry: Invariant, limit: int) -> Outcome:
    savepoint = session.begin_nested()
    try:
        found = list(islice(iter(entry.check(session, ctx)), limit + 1))
    except Exception as exc:  # a check that cannot run must not hide the others
        savepoint.rollback()
        return Outcome(entry, (), False, f"{type(exc).__name__}: {exc}")
    savepoint.commit()
    return Outcome(entry, tuple(found[:limit]), len(found) > limit)
