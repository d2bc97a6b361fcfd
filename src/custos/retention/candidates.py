"""Which people may be due: a SQL prefilter, so a sweep reads the due tenth, not the whole register.

The prefilter only narrows; `verdict.judge_person` decides. It must therefore never leave out anyone who is
due (a superset is fine): for each activity it finds the latest anchor date from which the rule is due by
the sweep's day — `due_date` never decreases as the anchor moves later, so "due" is exactly "anchor on or
before that date" — and keeps the relationships whose anchor fact, or a fact the anchor is derived from, lies
on or before it. A rule with `contact_ended` adds a second branch: the person's own end on or before the latest
day from which that bound is due (the relationship is due on the earlier of the two).

People with no relationship at all are candidates too: nothing explains why they are held (Art. 5(1)(b),
6(1)), so their erasure is due (`verdict.judge_person`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from custos.policy.retention import Anchor, RetentionFacts, RetentionRule, due_date
from custos.register.models import OrganisationRole, Person, Relationship
from custos.retention.rules import CompiledPolicy

_FIELD = {
    Anchor.COLLECTED: "collected",
    Anchor.RELATIONSHIP_STARTED: "relationship_started",
    Anchor.RELATIONSHIP_ENDED: "relationship_ended",
    Anchor.LAST_INTERACTION: "last_interaction",
    Anchor.CUSTOMER_UNTIL: "customer_until",
    Anchor.SUPPLIER_UNTIL: "supplier_until",
    Anchor.PARTNER_UNTIL: "partner_until",
    Anchor.FINANCIAL_YEAR_ENDED: "financial_year_ended",
}
_ROLE = {Anchor.CUSTOMER_UNTIL: "customer", Anchor.SUPPLIER_UNTIL: "supplier", Anchor.PARTNER_UNTIL: "partner"}


def latest_due_anchor(rule: RetentionRule, on: date) -> date | None:
    """The latest anchor date from which `rule` is due on or before `on`; None if even the earliest is not."""

    def due_from(anchor: date) -> date:
        only_anchor: dict[str, Any] = {_FIELD[rule.from_]: anchor}
        facts = replace(RetentionFacts(), **only_anchor)
        due = due_date(rule.model_copy(update={"while_": None, "contact_ended": None}), facts)
        assert due is not None
        return due

    low, high = date(1, 1, 1).toordinal(), on.toordinal()
    if due_from(date.fromordinal(low)) > on:
        return None
    while low < high:  # binary search for the last day whose due date is still on or before `on`
        middle = (low + high + 1) // 2
        if due_from(date.fromordinal(middle)) <= on:
            low = middle
        else:
            high = middle - 1
    return date.fromordinal(low)


def _ended_role(role: str | None, cutoff: date) -> ColumnElement[bool]:
    spans = select(OrganisationRole.organisation_id).where(OrganisationRole.ended_on <= cutoff)
    if role is not None:
        spans = spans.where(OrganisationRole.role == role)
    return Relationship.organisation_id.in_(spans)


def _anchor_clause(anchor: Anchor, cutoff: date) -> ColumnElement[bool]:
    if anchor is Anchor.COLLECTED:
        return Relationship.collected_on <= cutoff
    if anchor is Anchor.RELATIONSHIP_STARTED:
        return Relationship.started_on <= cutoff
    if anchor is Anchor.RELATIONSHIP_ENDED:
        return Relationship.ended_on <= cutoff
    if anchor is Anchor.LAST_INTERACTION:
        return Relationship.last_interaction_on <= cutoff
    if anchor in _ROLE:
        return _ended_role(_ROLE[anchor], cutoff)
    # financial_year.ended is derived from the relationship's end or its organisation's role end, and is never
    # before either (facts._financial_year_ended), so one of them is on or before the cutoff.
    return or_(Relationship.ended_on <= cutoff, _ended_role(None, cutoff))


def latest_own_end(rule: RetentionRule, on: date) -> date | None:
    """The latest day a former contact's own role may have ended for `contact_ended` to make them due by `on`."""
    if rule.contact_ended is None:
        return None
    own = RetentionRule.model_validate({"keep": rule.contact_ended.keep, "from": Anchor.RELATIONSHIP_ENDED})
    return latest_due_anchor(own, on)


def candidate_clause(rules: CompiledPolicy, on: date) -> ColumnElement[bool] | None:
    clauses = []
    for activity in rules.activities.values():
        cutoff = latest_due_anchor(activity.rule, on)
        if cutoff is not None:
            clauses.append(
                and_(Relationship.activity == activity.activity, _anchor_clause(activity.rule.from_, cutoff))
            )
        own_end = latest_own_end(activity.rule, on)
        if own_end is not None:
            clauses.append(and_(Relationship.activity == activity.activity, Relationship.ended_on <= own_end))
    return or_(*clauses) if clauses else None


def candidate_people(session: Session, clause: ColumnElement[bool] | None, after: int, limit: int) -> list[int]:
    """The next person ids after `after` with a relationship that may be due, or with none, in id order.

    Keyset pagination, so each call is cheap and a sweep can resume planning from the last id it stored. The
    people without a relationship are read in the same id window as the others (a bounded range of the
    primary key), so a whole walk reads each person once.
    """
    ids: list[int] = []
    if clause is not None:
        ids = list(
            session.scalars(
                select(Relationship.person_id)
                .where(clause, Relationship.person_id > after)
                .order_by(Relationship.person_id)
                .limit(limit)
            )
        )
    # The window this call answers for: up to the last id read when a query filled its limit, else the end.
    bound = ids[-1] if len(ids) == limit else None
    lonely = (
        select(Person.id)
        .where(Person.id > after, ~exists().where(Relationship.person_id == Person.id))
        .order_by(Person.id)
        .limit(limit)
    )
    if bound is not None:
        lonely = lonely.where(Person.id <= bound)
    without = list(session.scalars(lonely))
    if len(without) == limit:
        bound = without[-1] if bound is None else min(bound, without[-1])
    found = sorted(set(ids) | set(without))
    return found if bound is None else [i for i in found if i <= bound]
