"""Every relationship the register holds can fall due, and every person has one (GDPR Art. 5(1)(e), 6(1)).

A retention rule counts from one fact of the relationship (`policy.retention.Anchor`). When that fact is
missing and nothing in the register will ever fill it in, the rule never says "due" and the person is kept
forever, silently. Per anchor:

- `collected`: always known (the day the data was recorded, by default).
- `relationship.ended`, `financial_year.ended`: empty while the relationship is open, which is right: it falls
  due once it is ended (or, for the books, once the organisation's role ends).
- `last_interaction`, `relationship.started`: nothing sets them later, so a write that leaves them out gets
  them from what is known (the day the person was met, else the day recorded; never a day after today), and
  a change that empties them is refused.
- `organisation.customer_until` (supplier, partner): needs an organisation that holds or held that role; a
  relationship with no organisation, or with one that never had the role, is refused.

`resolve_activity`, `with_defaults` and `never_due` are the pure rules every write path uses (`register.people`,
the importer);
`people_without_basis` and `relationships_never_due` list what breaks them on live data, for `custos doctor`,
and `settle_missing_dates` fills in what can be filled in for relationships written before these rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.orm import Session

from custos.audit.actions import Action
from custos.clock import today
from custos.errors import InvalidInput, Problem
from custos.policy import Anchor, Condition, Policy, RetentionRule
from custos.policy.retention import ROLE_OF_ANCHOR
from custos.register.models import OrganisationRole, Person, Relationship
from custos.work import Work


def resolve_activity(policy: Policy, subject_category: str, activity: str | None, where: str) -> tuple[str, str]:
    """The activity and its legal basis for a relationship; only what the policy declares is allowed.

    Art. 5(1)(b): data may only be held for a purpose the organisation has stated.
    """
    known = {c.id for c in policy.subject_categories}
    if subject_category not in known:
        raise InvalidInput(
            f"unknown subject category {subject_category!r}",
            [
                Problem(
                    f"{where}.subject_category",
                    f"{subject_category!r} is not in the policy",
                    hint=f"use one of: {', '.join(sorted(known))}",
                )
            ],
        )
    candidates = [a for a in policy.activities if subject_category in a.subjects]
    if activity is None:
        if len(candidates) != 1:
            names = ", ".join(a.id for a in candidates) or "none"
            raise InvalidInput(
                f"say which activity the {subject_category} relationship belongs to",
                [
                    Problem(
                        f"{where}.activity",
                        f"the policy has {len(candidates)} activities for {subject_category} ({names})",
                        hint="set activity",
                    )
                ],
            )
        chosen = candidates[0]
    else:
        matches = [a for a in candidates if a.id == activity]
        if not matches:
            names = ", ".join(a.id for a in candidates) or "none"
            raise InvalidInput(
                f"activity {activity!r} does not cover {subject_category}",
                [
                    Problem(
                        f"{where}.activity",
                        f"{activity!r} is not a policy activity for {subject_category}",
                        hint=f"use one of: {names}",
                    )
                ],
            )
        chosen = matches[0]
    return chosen.id, str(chosen.legal_basis)


@dataclass(frozen=True)
class Dates:
    """The dated facts of one relationship as a write would leave them."""

    started_on: date | None
    ended_on: date | None
    last_interaction_on: date | None
    collected_on: date


@dataclass(frozen=True)
class NeverDue:
    """Why a relationship could never fall due under its activity's rule: the field, what is wrong, the fix."""

    field: str
    message: str
    hint: str


def with_defaults(rule: RetentionRule, dates: Dates, on: date) -> Dates:
    """Fill in the fact the rule counts from when a write leaves it out, from what is known.

    The defaults are the latest dates the facts allow (the day the person was met, else the day the data was
    recorded), so the relationship is never due earlier than it would be with the true date; and never a day
    after `on`, since a fact dated in the future has not happened.
    """
    known = min(dates.started_on or dates.collected_on, dates.collected_on, on)
    if rule.from_ is Anchor.LAST_INTERACTION and dates.last_interaction_on is None:
        dates = replace(dates, last_interaction_on=known)
    needs_start = rule.from_ is Anchor.RELATIONSHIP_STARTED or rule.while_ is Condition.RELATIONSHIP_OPEN
    if needs_start and dates.started_on is None:
        # `while: relationship.is_open` reads a relationship without a start as not open: due at once.
        start = min(dates.collected_on, on, *([dates.ended_on] if dates.ended_on else []))
        dates = replace(dates, started_on=start)
    return dates


def never_due(
    activity: str, rule: RetentionRule, dates: Dates, *, organisation_id: int | None, roles: frozenset[str]
) -> NeverDue | None:
    """The reason a relationship with these facts can never fall due under `rule`, or None when it can.

    `roles` are the roles the relationship's organisation holds or ever held (empty without one).
    """
    anchor = rule.from_
    if anchor is Anchor.LAST_INTERACTION and dates.last_interaction_on is None:
        return NeverDue(
            "last_interaction_on",
            f"the {activity} rule counts from the last interaction, and none is recorded, so the data would be kept "
            "forever",
            "set last_interaction_on, e.g. to the day the person was met",
        )
    if anchor is Anchor.RELATIONSHIP_STARTED and dates.started_on is None:
        return NeverDue(
            "started_on",
            f"the {activity} rule counts from the start of the relationship, and none is recorded, so the data "
            "would be kept forever",
            "set started_on",
        )
    role = ROLE_OF_ANCHOR.get(anchor)
    if role is not None and organisation_id is None:
        return NeverDue(
            "organisation_id",
            f"the {activity} rule counts from when the organisation stopped being a {role}, and the relationship "
            "names no organisation, so the data would be kept forever",
            f"set organisation_id to the {role} the person is a contact of",
        )
    if role is not None and role not in roles:
        return NeverDue(
            "organisation_id",
            f"organisation {organisation_id} has never been a {role}, so it can never stop being one and the "
            f"{activity} rule would keep the data forever",
            f"record the organisation's {role} period first (POST /api/v1/organisations/{organisation_id}/roles)",
        )
    return None


# -- live data -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Breach:
    """One record that breaks a promise of this module, named without personal data, with its fix."""

    person_ref: str
    relationship_id: int | None
    reason: str
    fix: str


def people_without_basis(session: Session, policy: Policy | None = None) -> Iterator[Breach]:
    """People held with no relationship at all (no purpose, no basis: Art. 5(1)(b), 6(1)); with `policy`, also
    relationships under an activity the policy does not name, or for a category it does not cover."""
    lonely = select(Person.ref).where(~exists().where(Relationship.person_id == Person.id)).order_by(Person.id)
    for ref in session.scalars(lonely):
        yield Breach(
            ref,
            None,
            "has no relationship: no purpose and no legal basis to keep the person",
            "add the relationship that explains why the person is registered, or let the retention sweep erase "
            "the person (it does, as due)",
        )
    if policy is None:
        return
    covered = [(a.id, subject) for a in policy.activities for subject in a.subjects]
    known = or_(*(and_(Relationship.activity == a, Relationship.subject_category == s) for a, s in covered))
    rows = session.execute(
        select(Person.ref, Relationship.id, Relationship.activity, Relationship.subject_category)
        .join(Relationship, Relationship.person_id == Person.id)
        .where(~known if covered else Relationship.id.is_not(None))
        .order_by(Relationship.id)
    )
    for ref, rel_id, activity, subject in rows:
        yield Breach(
            ref,
            rel_id,
            f"activity {activity!r} of the policy does not cover {subject!r}",
            "add the activity (or the subject category to it) in the policy, or end the relationship",
        )


def relationships_never_due(session: Session, policy: Policy) -> Iterator[Breach]:
    """Relationships whose activity's rule can never make them due (see the module's list), in id order."""
    for activity in policy.activities:
        rule = activity.retention
        gaps = _gaps(rule)
        if gaps is None:
            continue
        rows = session.execute(
            select(
                Person.ref,
                Relationship.id,
                Relationship.organisation_id,
                Relationship.started_on,
                Relationship.ended_on,
                Relationship.last_interaction_on,
                Relationship.collected_on,
            )
            .join(Person, Person.id == Relationship.person_id)
            .where(Relationship.activity == activity.id, gaps)
            .order_by(Relationship.id)
        )
        for ref, rel_id, org_id, started, ended, last, collected in rows:
            dates = Dates(started, ended, last, collected)
            # The query kept only organisations that never held the rule's role: no roles to pass.
            gap = never_due(activity.id, rule, dates, organisation_id=org_id, roles=frozenset())
            if gap is None:
                continue
            fix = f"{gap.hint} (PATCH /api/v1/people/{ref}/relationships/{rel_id})"
            if gap.field in ("last_interaction_on", "started_on"):
                fix += "; `custos people settle-dates` fills it in from what the register knows"
            yield Breach(ref, rel_id, f"{gap.field}: {gap.message}", fix)


def _gaps(rule: RetentionRule) -> ColumnElement[bool] | None:
    """The SQL condition of "this relationship cannot fall due under `rule`", or None if every one can."""
    if rule.from_ is Anchor.LAST_INTERACTION:
        return Relationship.last_interaction_on.is_(None)
    if rule.from_ is Anchor.RELATIONSHIP_STARTED:
        return Relationship.started_on.is_(None)
    role = ROLE_OF_ANCHOR.get(rule.from_)
    if role is None:
        return None
    held = select(OrganisationRole.organisation_id).where(OrganisationRole.role == role)
    return or_(Relationship.organisation_id.is_(None), Relationship.organisation_id.not_in(held))


def settle_missing_dates(work: Work) -> int:
    """Fill in, from what the register knows, the anchor dates `with_defaults` would have set on a write made
    before it did; audited per activity. Returns how many relationships changed. Gaps only a person can close
    (a missing organisation or role) stay for `relationships_never_due` to report."""
    session, on = work.session, today(work.clock)
    changed = 0
    for activity in work.policy.activities:
        rule = activity.retention
        if rule.from_ is Anchor.LAST_INTERACTION:
            missing = Relationship.last_interaction_on.is_(None)
        elif rule.from_ is Anchor.RELATIONSHIP_STARTED or rule.while_ is Condition.RELATIONSHIP_OPEN:
            missing = Relationship.started_on.is_(None)
        else:
            continue
        rows = session.execute(
            select(
                Relationship.id,
                Relationship.started_on,
                Relationship.ended_on,
                Relationship.last_interaction_on,
                Relationship.collected_on,
            ).where(Relationship.activity == activity.id, missing)
        ).all()
        updates = []
        for rel_id, started, ended, last, collected in rows:
            settled = with_defaults(rule, Dates(started, ended, last, collected), on)
            updates.append(
                {
                    "id": rel_id,
                    "started_on": settled.started_on,
                    "last_interaction_on": settled.last_interaction_on,
                    "updated_at": work.clock.now(),
                }
            )
        if not updates:
            continue
        session.execute(update(Relationship), updates)
        changed += len(updates)
        work.audit(
            Action.RELATIONSHIP_SETTLE_DATES,
            purpose="storage limitation, GDPR Art. 5(1)(e)",
            details={"activity": activity.id, "anchor": str(rule.from_), "relationships": len(updates)},
        )
    return changed
