"""What an erasure leaves, and why: the one answer every erase instruction follows (GDPR Art. 17(3)).

`kept_on(rules, person, on)` decides, for one person on one day, which data categories are kept, under which
law and until when:

- a category with a `legal_retention` of its own (finance.invoice: Bokföringslagen (1999:1078) 7 kap. 2 §) is
  kept wherever it is, while the minimum counted from the relationship's facts still runs (Art. 17(3)(b));
- an activity whose legal basis is `legal_obligation` (Art. 6(1)(c); taxes-and-fees under
  Skatteförfarandelagen (2011:1244)) keeps all of its categories in its own systems until its own retention
  falls due — with no end yet while the relationship lasts;
- a relationship under a legal hold keeps its activity's categories everywhere (Art. 17(3)(e)).

Everything that erases follows it, so no two can disagree: the request's `keep` plan (and from it the letter
and the request's "kept" facts), a manual task's two lists (what to erase, what to keep with law and date),
the SQL and HTTP erasure in connected systems, and the retention sweep's system steps and tombstones. A
reviewed erasure request adds the reviewer's decisions (`with_decisions`), which only ever keep more.
`custos.invariants.erasure_checks.live_conflicts` lists open erase instructions that name a category kept
today (for `custos doctor`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from custos.policy.retention import due_date
from custos.retention.facts import facts_for
from custos.retention.rules import CompiledPolicy, category_minimums, still_kept

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from custos.retention.verdict import PersonFacts

LEGAL_OBLIGATION = "legal_obligation"  # Art. 17(3)(b)
LEGAL_CLAIMS = "legal_claims"  # Art. 17(3)(e)
GROUNDS = (LEGAL_OBLIGATION, LEGAL_CLAIMS)
LEGAL_HOLD = "legal hold"


@dataclass(frozen=True, slots=True)
class Kept:
    """One reason one category is kept: the law (or the reviewer's reason), until when, and where."""

    category: str
    law: str
    until: date | None  # the first day it may be erased; None: no end yet (an open relationship, a missing fact)
    ground: str = LEGAL_OBLIGATION
    activity: str | None = None  # the activity whose obligation keeps it; None for a reviewer's decision
    systems: tuple[str, ...] | None = None  # the systems it is kept in; None: wherever it is
    decided_by: str | None = None
    relationship: int | None = field(default=None, compare=False)  # for the tombstone's entries; not stored

    def applies_to(self, system: str) -> bool:
        return self.systems is None or system in self.systems

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "law": self.law,
            "until": self.until.isoformat() if self.until else None,
            "ground": self.ground,
            "activity": self.activity,
            "systems": list(self.systems) if self.systems is not None else None,
            "decided_by": self.decided_by,
        }

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Kept:
        until = data.get("until")
        systems = data.get("systems")
        return Kept(
            category=str(data["category"]),
            law=str(data.get("law") or ""),
            until=date.fromisoformat(until) if until else None,
            ground=str(data.get("ground") or LEGAL_OBLIGATION),
            activity=data.get("activity"),
            systems=tuple(systems) if systems is not None else None,
            decided_by=data.get("decided_by"),
        )


@dataclass(frozen=True)
class KeepPlan:
    """Everything kept for one person on one day; empty means nothing is kept."""

    entries: tuple[Kept, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.entries)

    def in_system(self, system: str) -> KeepPlan:
        """What is kept in this system."""
        return KeepPlan(tuple(k for k in self.entries if k.applies_to(system)))

    def categories(self, system: str | None = None) -> frozenset[str]:
        """The categories kept (in `system`, or anywhere)."""
        return frozenset(k.category for k in self.entries if system is None or k.applies_to(system))

    def erase_list(self, categories: Iterable[str], system: str) -> list[str]:
        """Of the categories a system holds, those it may erase: never one kept there."""
        kept = self.categories(system)
        return [c for c in dict.fromkeys(categories) if c not in kept]

    def summary(self, system: str | None = None) -> list[dict[str, Any]]:
        """One line per kept category (in `system`, or anywhere): the laws and claims that keep it, the grounds,
        and the latest day it stays (None when any reason has no end yet); what a letter and a task say."""
        by_category: dict[str, list[Kept]] = {}
        for k in self.entries:
            if system is None or k.applies_to(system):
                by_category.setdefault(k.category, []).append(k)
        lines = []
        for category, reasons in by_category.items():
            dates = [k.until for k in reasons]
            until = None if any(d is None for d in dates) else max(d for d in dates if d is not None)
            laws = _distinct([k.law for k in reasons if k.ground == LEGAL_OBLIGATION and k.law != LEGAL_HOLD])
            claims = _distinct([k.law for k in reasons if k.ground == LEGAL_CLAIMS and k.law != LEGAL_HOLD])
            line: dict[str, Any] = {
                "category": category,
                "laws": laws,
                "claims": claims,
                "grounds": sorted({k.ground for k in reasons}),
                "until": until.isoformat() if until else None,
            }
            if any(k.law == LEGAL_HOLD for k in reasons):
                line["hold"] = True
            lines.append(line)
        return lines

    def to_json(self) -> list[dict[str, Any]]:
        return [k.as_dict() for k in self.entries]

    @staticmethod
    def from_json(data: Sequence[Mapping[str, Any]] | None) -> KeepPlan:
        return KeepPlan(tuple(Kept.from_dict(item) for item in data or ()))

    def with_decisions(self, decisions: Iterable[Kept]) -> KeepPlan:
        """The plan with a reviewer's decisions to keep added (a decision never removes what a law keeps)."""
        return KeepPlan(self.entries + tuple(decisions))


def _distinct(laws: list[str]) -> list[str]:
    """Each law once; a name that a fuller citation of the same law starts with is left out (the activity's
    "Bokföringslagen (1999:1078)" beside the category's "Bokföringslagen (1999:1078) 7 kap. 2 §")."""
    unique = list(dict.fromkeys(law for law in laws if law))
    return [law for law in unique if not any(other != law and other.startswith(law) for other in unique)]


def kept_on(rules: CompiledPolicy, person: PersonFacts | None, on: date) -> KeepPlan:
    """What the law (and any legal hold) keeps of this person on `on`; see the module's docstring."""
    if person is None:
        return KeepPlan()
    entries: list[Kept] = []
    for rel in person.relationships:
        activity = rules.activities.get(rel.activity)
        if activity is None:  # no longer in the policy: nothing says what it keeps (`policy check` names it)
            continue
        spans = person.roles.get(rel.organisation_id, []) if rel.organisation_id is not None else []
        facts = facts_for(rel, spans, on, rules.role_of_category.get(rel.subject_category))
        if person.person_held or (rel.organisation_id is not None and rel.organisation_id in person.held_organisations):
            entries += [
                Kept(c, LEGAL_HOLD, None, LEGAL_CLAIMS, activity.activity, None, relationship=rel.id)
                for c in sorted(activity.categories)
            ]
        for category, rule, until in category_minimums(activity, facts):
            if still_kept(until, on):
                entries.append(Kept(category, rule.law, until, LEGAL_OBLIGATION, activity.activity, None, None, rel.id))
        if activity.legal_basis == LEGAL_OBLIGATION:
            due = due_date(activity.rule, facts)
            if still_kept(due, on):
                law = activity.law or f"the legal obligation of {activity.activity}"
                entries += [
                    Kept(c, law, due, LEGAL_OBLIGATION, activity.activity, activity.systems, None, rel.id)
                    for c in sorted(activity.categories)
                ]
    return KeepPlan(tuple(entries))


def kept_for_ref(session: Session, rules: CompiledPolicy, person_ref: str | None, on: date) -> KeepPlan:
    """`kept_on` for a register person by ref (an empty plan when they are not, or no longer, registered)."""
    if person_ref is None:
        return KeepPlan()
    from sqlalchemy import select

    from custos.register.models import Person
    from custos.retention.loader import load_people

    person_id = session.scalar(select(Person.id).where(Person.ref == person_ref))
    if person_id is None:
        return KeepPlan()
    return kept_on(rules, load_people(session, [person_id], on).get(person_id), on)
