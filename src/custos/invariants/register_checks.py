"""Lawfulness on live data: every person is registered for a purpose the policy names, on its basis (Art. 6)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from custos.invariants.finding import Finding, InvariantContext
from custos.register.models import Person, Relationship


def people_without_basis(session: Session, ctx: InvariantContext) -> Iterator[Finding]:
    """People with no relationship at all, or only relationships the policy gives no lawful basis for.

    Grouped first by (activity, subject category, basis), so a million relationships cost one aggregate, and
    people are named only for the combinations that are wrong.
    """
    lonely = select(Person.ref).where(~exists().where(Relationship.person_id == Person.id)).order_by(Person.id)
    for ref in session.scalars(lonely):
        yield Finding(f"person {ref}", "has no relationship: no purpose and no legal basis to keep them")
    combos = session.execute(
        select(Relationship.activity, Relationship.subject_category, Relationship.legal_basis, func.count()).group_by(
            Relationship.activity, Relationship.subject_category, Relationship.legal_basis
        )
    ).all()
    activities = {a.id: a for a in ctx.policy.activities}
    for activity_id, subject, basis, _count in combos:
        activity = activities.get(activity_id)
        if activity is None:
            problem = f"activity {activity_id!r} is not in the policy"
        elif subject not in activity.subjects:
            problem = f"activity {activity_id!r} does not process {subject!r}"
        elif basis != str(activity.legal_basis):
            problem = f"recorded basis {basis!r} is not the policy's {activity.legal_basis!s} for {activity_id!r}"
        else:
            continue
        rows = session.execute(
            select(Person.ref, Relationship.id)
            .join(Relationship, Relationship.person_id == Person.id)
            .where(
                Relationship.activity == activity_id,
                Relationship.subject_category == subject,
                Relationship.legal_basis == basis,
            )
            .order_by(Relationship.id)
        )
        for ref, rel_id in rows:
            yield Finding(f"person {ref}", f"relationship {rel_id}: {problem}")
