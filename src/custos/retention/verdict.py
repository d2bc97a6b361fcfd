"""The retention decision for one person, as a pure function of the register's facts on one day.

Art. 5(1)(e): data is kept no longer than its purpose needs. Each relationship is due on the day its
activity's rule says; a person is erased once every relationship is due, and otherwise loses only the due
relationships and the fields no remaining relationship processes (a mixed person: a due prospect who is also
a current customer contact keeps the customer relationship and the contact details it uses).

Never early: a relationship with no due date (open, or a missing fact) keeps the person, an unknown activity
keeps the person, and a legal hold (Art. 17(3)(e)) keeps whatever it covers.

A person with no relationship at all is held for no purpose and on no basis (Art. 5(1)(b), 6(1)): their erasure
is due, unless a hold on the person keeps them. The register never removes a last relationship by itself (a
trim keeps at least one; when every one is due the person is erased), so such a person is left from before the
register refused them (`register.people.add_person`), or was written around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from custos.policy.retention import due
from custos.retention.facts import RelationshipRow, RoleSpan, facts_for
from custos.retention.rules import FIELD_CATEGORIES, CompiledPolicy, category_minimums, still_kept

Action = Literal["erase", "trim", "keep"]


@dataclass(frozen=True, slots=True)
class RelationshipVerdict:
    row: RelationshipRow
    rule: str
    anchor: str
    anchor_date: date | None
    due_on: date | None
    due: bool
    held: bool
    legal_until: date | None  # the latest date a law requires one of its categories to be kept
    retained_categories: tuple[str, ...]

    @property
    def removable(self) -> bool:
        return self.due and not self.held


@dataclass(frozen=True, slots=True)
class PersonVerdict:
    person_id: int
    action: Action
    held: bool  # a hold stopped (part of) an erasure that would otherwise happen now
    relationships: tuple[RelationshipVerdict, ...]
    drop_fields: tuple[str, ...]  # on a trim: register fields no kept relationship processes

    @property
    def removed(self) -> tuple[RelationshipVerdict, ...]:
        if self.action == "erase":
            return self.relationships
        return tuple(r for r in self.relationships if r.removable) if self.action == "trim" else ()


@dataclass(frozen=True)
class PersonFacts:
    """Everything the register holds that the decision depends on, for one person."""

    person_id: int
    relationships: Sequence[RelationshipRow]
    roles: dict[int, list[RoleSpan]]  # by organisation id
    person_held: bool
    held_organisations: frozenset[int]


def judge_relationship(
    rules: CompiledPolicy, rel: RelationshipRow, spans: Sequence[RoleSpan], on: date, held: bool
) -> RelationshipVerdict:
    activity = rules.activities.get(rel.activity)
    if activity is None:
        # The policy no longer names this activity: nothing says when it ends, so it is kept (never early)
        # and `custos policy check` is where the gap must be fixed.
        return RelationshipVerdict(rel, f"unknown activity {rel.activity!r}", "", None, None, False, held, None, ())
    facts = facts_for(rel, spans, on, rules.role_of_category.get(rel.subject_category))
    decided = due(activity.rule, facts)
    due_on = decided.on
    # The same minimums an erasure keeps (custos.retention.keep), so the plan and the erasure never disagree.
    legal = [(category, until) for category, _, until in category_minimums(activity, facts)]
    # A legal minimum whose anchor fact is missing cannot be dated: retained without an end date is wrong,
    # erasing it early is worse, so it keeps its category with the latest known date (or none).
    dated = [until for _, until in legal if until is not None]
    legal_until = max(dated) if dated else None
    retained = tuple(category for category, until in legal if still_kept(until, on))
    return RelationshipVerdict(
        row=rel,
        rule=activity.described,
        anchor=str(decided.anchor),
        anchor_date=decided.anchor_date,
        due_on=due_on,
        due=due_on is not None and due_on <= on,
        held=held,
        legal_until=legal_until,
        retained_categories=retained,
    )


def judge_relationships(rules: CompiledPolicy, person: PersonFacts, on: date) -> tuple[RelationshipVerdict, ...]:
    """Each relationship judged with its organisation's roles and whatever hold covers it."""
    return tuple(
        judge_relationship(
            rules,
            rel,
            person.roles.get(rel.organisation_id, []) if rel.organisation_id is not None else [],
            on,
            person.person_held or rel.organisation_id in person.held_organisations,
        )
        for rel in person.relationships
    )


def judge_person(rules: CompiledPolicy, person: PersonFacts, on: date) -> PersonVerdict:
    verdicts = judge_relationships(rules, person, on)
    if not verdicts:
        # No relationship: nothing to keep them for. A hold on the person (Art. 17(3)(e)) still keeps them.
        return PersonVerdict(person.person_id, "keep" if person.person_held else "erase", person.person_held, (), ())
    held = any(v.due and v.held for v in verdicts)
    kept = [v for v in verdicts if not v.removable]
    if len(kept) == len(verdicts):
        return PersonVerdict(person.person_id, "keep", held, verdicts, ())
    if not kept:
        return PersonVerdict(person.person_id, "erase", held, verdicts, ())
    return PersonVerdict(person.person_id, "trim", held, verdicts, _unjustified_fields(rules, kept))


def _unjustified_fields(rules: CompiledPolicy, kept: Sequence[RelationshipVerdict]) -> tuple[str, ...]:
    """Fields whose category no kept relationship's activity processes (Art. 5(1)(c)); unknown activities keep all."""
    covered: set[str] = set()
    for verdict in kept:
        activity = rules.activities.get(verdict.row.activity)
        if activity is None:
            return ()
        covered |= activity.categories
    return tuple(
        name
        for name, category in FIELD_CATEGORIES.items()
        if category in rules.declared_categories and category not in covered
    )
