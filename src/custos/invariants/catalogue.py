"""Every invariant Custos keeps, in one table: its id, the promise in one line, what it serves, and the fix.

docs/invariants.md has one line per entry here (tests/invariants/test_catalogue.py checks both ways). The
order is the order `custos doctor` reports in: lawfulness first, then time limits, then who may see what.
"""

from __future__ import annotations

from dataclasses import dataclass

from custos.errors import NotFound
from custos.invariants import deadline_checks, register_checks, retention_checks
from custos.invariants.finding import Check


@dataclass(frozen=True)
class Invariant:
    id: str
    promise: str  # one line, as docs/invariants.md states it
    serves: str  # the article or statute
    fix: str  # what to do about a finding, in general
    check: Check


INVARIANTS: tuple[Invariant, ...] = (
    Invariant(
        "person-has-basis",
        "Every person in the register has at least one relationship under an activity of the policy, on its legal "
        "basis.",
        "GDPR Art. 5(1)(a), 6(1)",
        "Add the relationship that explains why the person is registered (category, activity, organisation), or "
        "erase the person.",
        register_checks.people_without_basis,
    ),
    Invariant(
        "nobody-kept-past-due",
        "Nobody is kept past the day their relationships fell due, unless a legal hold or a legal retention keeps "
        "them.",
        "GDPR Art. 5(1)(e), 17(1)(a)",
        "Run `custos retention sweep` (and check that the daily sweep job runs), or place a legal hold with its "
        "reason if the data is needed for a legal claim.",
        retention_checks.kept_past_due,
    ),
    Invariant(
        "request-answered-in-time",
        "Every data subject request is answered by its deadline: one month, extended only with a reason given in time.",
        "GDPR Art. 12(3); Reg. (EEC, Euratom) 1182/71",
        "Open the request in the admin queue and answer it; an extension must be sent before the first deadline.",
        deadline_checks.requests_overdue,
    ),
    Invariant(
        "breach-notified-in-time",
        "Every breach we control is notified to the supervisory authority within 72 hours of awareness, or the "
        "decision not to notify is documented.",
        "GDPR Art. 33(1), 33(5)",
        "Notify the authority now, stating the reason for the delay, or record the decision not to notify with its "
        "reasoning.",
        deadline_checks.breaches_unnotified,
    ),
)


def invariant(invariant_id: str) -> Invariant:
    for entry in INVARIANTS:
        if entry.id == invariant_id:
            return entry
    raise NotFound(f"no invariant {invariant_id!r}; `custos doctor --list` names them all")
