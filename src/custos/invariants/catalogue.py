"""Every invariant Custos keeps, in one table: its id, what it serves, and the check that finds breaches.

The promise each states and the fix for a finding are wording, in `texts/<lang>.yaml` beside this module (the
admin page shows them in the staff member's language); docs/invariants.md repeats the English promises, and
tests/invariants/test_catalogue.py checks both ways. The order is the order `custos doctor` reports in:
lawfulness first, then time limits, then who may see what.
"""

from __future__ import annotations

from dataclasses import dataclass

from custos.errors import NotFound
from custos.invariants import (
    access_checks,
    deadline_checks,
    erasure_checks,
    register_checks,
    retention_checks,
    systems_checks,
)
from custos.invariants.finding import Check
from custos.texts import Language, Texts, read_texts


def wording(lang: Language = "en") -> Texts:
    texts = Texts(lang, read_texts("custos.invariants", lang))
    texts.what = "the invariants"
    return texts


@dataclass(frozen=True)
class Invariant:
    id: str
    serves: str  # the article or statute
    check: Check
    # A check that may walk the whole register (a million people: seconds). The dashboard shows such a promise as
    # of the last doctor run (daily, or on the Promises page) instead of running it on every page view.
    walks_register: bool = False

    def promise(self, words: Texts | None = None) -> str:
        """The promise in one line, as docs/invariants.md states it."""
        return (words or wording()).text(f"promises.{self.id}")

    def fix(self, words: Texts | None = None) -> str:
        """What to do about a finding, in general."""
        return (words or wording()).text(f"fixes.{self.id}")


INVARIANTS: tuple[Invariant, ...] = (
    Invariant("person-has-basis", "GDPR Art. 5(1)(a), 6(1)", register_checks.people_without_basis, True),
    Invariant("relationship-can-fall-due", "GDPR Art. 5(1)(e)", register_checks.relationships_never_due, True),
    Invariant("nobody-kept-past-due", "GDPR Art. 5(1)(e), 17(1)(a)", retention_checks.kept_past_due, True),
    Invariant(
        "legal-retention-never-erased",
        "GDPR Art. 17(3)(b); Bokföringslagen (1999:1078) 7 kap. 2 §",
        erasure_checks.kept_categories_in_erase_instructions,
    ),
    Invariant(
        "request-answered-in-time", "GDPR Art. 12(3); Reg. (EEC, Euratom) 1182/71", deadline_checks.requests_overdue
    ),
    Invariant("breach-notified-in-time", "GDPR Art. 33(1), 33(5)", deadline_checks.breaches_unnotified),
    Invariant("system-has-owner", "GDPR Art. 5(2), 17(1), 24(1)", systems_checks.unowned_systems),
    Invariant("no-task-waits", "GDPR Art. 12(3), 17(1), 19", systems_checks.waiting_tasks),
    Invariant(
        "personal-data-needs-second-approval", "GDPR Art. 5(1)(f), 32(1)(b), 32(4)", access_checks.unapproved_grants
    ),
    Invariant("grant-within-granter", "GDPR Art. 25(2), 32(4)", access_checks.grants_beyond_granter),
)


def invariant(invariant_id: str) -> Invariant:
    for entry in INVARIANTS:
        if entry.id == invariant_id:
            return entry
    raise NotFound(f"no invariant {invariant_id!r}; `custos doctor --list` names them all")
