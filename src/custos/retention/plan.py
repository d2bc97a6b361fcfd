"""The retention plan: who would be erased or trimmed on a day, and why — read-only.

`custos retention plan`, the API and the sweep's planning all walk the register the same way: candidate
people in id order (`candidates`), their facts in batches (`loader`), one decision each (`verdict`).
Memory is one batch, whatever the register's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.register.models import Person
from custos.retention.among import among
from custos.retention.candidates import candidate_clause, candidate_people
from custos.retention.loader import load_people
from custos.retention.rules import CompiledPolicy
from custos.retention.verdict import PersonVerdict, judge_person

CHUNK = 1000
FIRST_CHUNK = 50


@dataclass(frozen=True, slots=True)
class PlannedPerson:
    ref: str
    verdict: PersonVerdict


def plan_chunk(
    session: Session, rules: CompiledPolicy, on: date, holds_on: date, after: int, limit: int = CHUNK
) -> tuple[list[PlannedPerson], int | None]:
    """The people after id `after` that are due (or held while due), and the last id looked at (None: done)."""
    ids = candidate_people(session, candidate_clause(rules, on), after, limit)
    if not ids:
        return [], None
    people = load_people(session, ids, holds_on)
    found = session.execute(select(Person.id, Person.ref).where(among(session, Person.id, list(people))))
    refs = dict(found.all())
    planned = []
    for person_id in sorted(people):
        verdict = judge_person(rules, people[person_id], on)
        if (verdict.action != "keep" or verdict.held) and person_id in refs:
            planned.append(PlannedPerson(refs[person_id], verdict))
    return planned, ids[-1]


def iter_plan(
    session: Session, rules: CompiledPolicy, on: date, holds_on: date | None = None
) -> Iterator[PlannedPerson]:
    """Every person due on `on` (holds as they stand on `holds_on`, by default the same day).

    The first batches are small and grow to CHUNK: a caller that stops at the first few (the dashboard, a check
    that wants one finding) judges tens of people, not a thousand; a whole walk costs a few more queries.
    """
    after: int | None = 0
    size = FIRST_CHUNK
    while after is not None:
        planned, after = plan_chunk(session, rules, on, holds_on or on, after, size)
        size = min(size * 4, CHUNK)
        yield from planned


@dataclass(frozen=True, slots=True)
class PlanLine:
    """One relationship the plan removes (or would remove, but for a hold), flat for a table, a CSV or the API."""

    person_ref: str
    action: str  # erase | trim | held
    relationship_id: Annotated[int | None, Field(description="None when the person has no relationship at all")]
    subject_category: str
    activity: str
    rule: str
    anchor: str
    anchor_date: date | None
    due_on: date | None
    retained_until: date | None
    retained_categories: tuple[str, ...]


# What a plan says of a person held with no relationship: no activity, so no rule of the policy, applies.
NO_RELATIONSHIP = "no relationship: no purpose or legal basis to keep the person (GDPR Art. 5(1)(b), 6(1))"


def plan_lines(person: PlannedPerson) -> list[PlanLine]:
    """The relationships the plan removes, and those a hold keeps although due."""
    verdict = person.verdict
    if not verdict.relationships:
        alone = "held" if verdict.held else verdict.action
        return [PlanLine(person.ref, alone, None, "", "", NO_RELATIONSHIP, "", None, None, None, ())]
    removed = {r.row.id for r in verdict.removed}
    lines = []
    for r in verdict.relationships:
        action: str
        if r.row.id in removed:
            action = verdict.action
        elif r.due and r.held:
            action = "held"
        else:
            continue
        lines.append(
            PlanLine(
                person_ref=person.ref,
                action=action,
                relationship_id=r.row.id,
                subject_category=r.row.subject_category,
                activity=r.row.activity,
                rule=r.rule,
                anchor=r.anchor,
                anchor_date=r.anchor_date,
                due_on=r.due_on,
                retained_until=r.legal_until if r.retained_categories else None,
                retained_categories=r.retained_categories,
            )
        )
    return lines
