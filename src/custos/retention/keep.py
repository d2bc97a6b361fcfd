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

from datetime import date
from typing import TYPE_CHECKING

from custos.policy.retention import due_date
from custos.retention.facts import facts_for
from custos.retention.rules import CompiledPolicy, category_minimums, still_kept
from custos.systems.kept import LEGAL_CLAIMS, LEGAL_HOLD, LEGAL_OBLIGATION, KeepPlan, Kept

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from custos.retention.verdict import PersonFacts


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
