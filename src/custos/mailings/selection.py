"""Selections: who a mailing may reach, counted and explained in SQL.

Every selection leaves out, in this order (each person is counted under the first reason that applies):
restricted people (Art. 18), people who objected to direct marketing (Art. 21(3), the suppression list),
people whose only matching relationships are for activities that do not list the selection's use
(Art. 5(1)(b)), contacts whose organisation is no longer a customer where the policy keeps contact data only
while it is one, people whose own role ended (every relationship that would let them in is ended: a former
contact of a current customer is not "the customer's designated contact" the policy mails, Art. 5(1)(b)), and,
for mailings, people with no email address.

A person is included through one relationship that meets every condition at once: it matches the criteria,
its activity lists the use, its organisation is still a customer where the rule asks that, and it is open.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, false, func, literal, or_, select, true
from sqlalchemy.orm import Session, aliased

from custos.audit.actions import Action
from custos.clock import today
from custos.errors import InvalidInput, NotFound, Problem
from custos.mailings.criteria import Criteria
from custos.mailings.models import Selection
from custos.policy import Condition, Policy
from custos.register.models import Identity, Person, Relationship
from custos.register.objections_models import Restriction, Suppression
from custos.register.organisations import organisations_with_role
from custos.work import Work

REASONS = ("restricted", "suppressed", "purpose", "not_customer", "role_ended", "no_email")
INCLUDED = "included"


@dataclass(frozen=True)
class SelectionCounts:
    included: int
    excluded: dict[str, int]  # reason → people, every reason present (0 when none)

    @property
    def matched(self) -> int:
        return self.included + sum(self.excluded.values())


def _matches(rel: Any, criteria: Criteria, on: date) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [rel.person_id == Person.id]
    if criteria.subject_categories:
        conditions.append(rel.subject_category.in_(criteria.subject_categories))
    if criteria.activities:
        conditions.append(rel.activity.in_(criteria.activities))
    if criteria.organisation_roles:
        conditions.append(
            or_(*(rel.organisation_id.in_(organisations_with_role(role, on)) for role in criteria.organisation_roles))
        )
    return conditions


def _reason(policy: Policy, criteria: Criteria, on: date) -> tuple[ColumnElement[bool], ColumnElement[str]]:
    """(the person matches the criteria at all, the first reason that excludes them or 'included')."""
    allowed = [a.id for a in policy.activities if criteria.use in a.uses]
    while_customer = [a.id for a in policy.activities if a.retention.while_ is Condition.IS_CUSTOMER]
    base, used, current, own = (
        aliased(Relationship),
        aliased(Relationship),
        aliased(Relationship),
        aliased(Relationship),
    )
    matched = exists(select(1).select_from(base).where(*_matches(base, criteria, on)))
    for_use = exists(
        select(1)
        .select_from(used)
        .where(*_matches(used, criteria, on), used.activity.in_(allowed) if allowed else false())
    )

    def still_customer(rel: Any) -> ColumnElement[bool]:
        return or_(
            rel.activity.not_in(while_customer) if while_customer else true(),
            rel.organisation_id.in_(organisations_with_role("customer", on)),
        )

    in_purpose = exists(
        select(1)
        .select_from(current)
        .where(
            *_matches(current, criteria, on),
            current.activity.in_(allowed) if allowed else false(),
            still_customer(current),
        )
    )
    # The person's own relationship is still open on the day (an end dated later has not happened yet).
    still_open = exists(
        select(1)
        .select_from(own)
        .where(
            *_matches(own, criteria, on),
            own.activity.in_(allowed) if allowed else false(),
            still_customer(own),
            or_(own.ended_on.is_(None), own.ended_on > on),
        )
    )
    restricted = exists(select(1).where(Restriction.person_id == Person.id, Restriction.lifted_at.is_(None)))
    suppressed = exists(
        select(1)
        .select_from(Identity)
        .join(Suppression, and_(Suppression.kind == Identity.kind, Suppression.lookup == Identity.lookup))
        .where(Identity.person_id == Person.id)
    )
    email = aliased(Identity)
    has_email = exists(select(1).select_from(email).where(email.person_id == Person.id, email.kind == "email"))
    needs_email = criteria.use == "mailings"
    reason = case(
        (restricted, literal("restricted")),
        (suppressed, literal("suppressed")),
        (~for_use, literal("purpose")),
        (~in_purpose, literal("not_customer")),
        (~still_open, literal("role_ended")),
        (and_(literal(needs_email), ~has_email), literal("no_email")),
        else_=literal(INCLUDED),
    )
    return matched, reason


def count(session: Session, policy: Policy, criteria: Criteria, on: date) -> SelectionCounts:
    matched, reason = _reason(policy, criteria, on)
    labelled = select(reason.label("reason")).select_from(Person).where(matched).subquery()
    rows = session.execute(select(labelled.c.reason, func.count()).group_by(labelled.c.reason)).all()
    found = {str(r): int(n) for r, n in rows}
    return SelectionCounts(found.get(INCLUDED, 0), {r: found.get(r, 0) for r in REASONS})


def members(policy: Policy, criteria: Criteria, on: date) -> Select[int]:
    """Ids of the people the selection includes, as a query (for INSERT … SELECT and batched reading)."""
    matched, reason = _reason(policy, criteria, on)
    return select(Person.id).where(matched, reason == INCLUDED)


def member_ids(session: Session, policy: Policy, criteria: Criteria, on: date, batch: int = 5000) -> Iterator[int]:
    last = 0
    query = members(policy, criteria, on)
    while ids := list(session.scalars(query.where(Person.id > last).order_by(Person.id).limit(batch))):
        yield from ids
        last = ids[-1]


# -- saved selections ------------------------------------------------------------------------------------


def create(work: Work, name: str, criteria: Criteria) -> Selection:
    title = name.strip()
    if not title:
        raise InvalidInput("the selection needs a name", [Problem("name", "is empty")])
    criteria.check(work.policy)
    selection = Selection(
        name=title[:200],
        criteria=criteria.model_dump(mode="json"),
        created_at=work.clock.now(),
        created_by=work.actor.label[:100],
    )
    work.session.add(selection)
    work.session.flush()
    work.audit(Action.SELECTION_CREATE, target=f"selection:{selection.id}")
    return selection


def get(session: Session, selection_id: int) -> Selection:
    selection = session.get(Selection, selection_id)
    if selection is None:
        raise NotFound(f"No selection {selection_id}.")
    return selection


def criteria_of(selection: Selection) -> Criteria:
    return Criteria.model_validate(selection.criteria)


def all_selections(session: Session) -> list[Selection]:
    return list(session.scalars(select(Selection).order_by(Selection.id.desc())))


def count_saved(work: Work, selection_id: int) -> SelectionCounts:
    """Who the saved selection includes today, and who it leaves out for each reason (counts only: not audited)."""
    return count(work.session, work.policy, criteria_of(get(work.session, selection_id)), today(work.clock))
