"""Lawfulness and storage limitation in the register, on live data (Art. 5(1)(b), 5(1)(e), 6(1)).

The checks themselves live with the register (`custos.register.lawful`), beside the rules every write path
applies; here they become findings, plus one the register's writers cannot break but an edited policy can: a
relationship recorded on another legal basis than the one its activity now states.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select

from custos.invariants.finding import Finding, InvariantContext
from custos.register import lawful
from custos.register.models import Person, Relationship
from custos.work import Work


def people_without_basis(work: Work, ctx: InvariantContext) -> Iterator[Finding]:
    for breach in lawful.people_without_basis(work.session, ctx.policy):
        yield _finding(breach)
    yield from _basis_changed(work, ctx)


def relationships_never_due(work: Work, ctx: InvariantContext) -> Iterator[Finding]:
    for breach in lawful.relationships_never_due(work.session, ctx.policy):
        yield _finding(breach)


def _finding(breach: lawful.Breach) -> Finding:
    where = f"relationship {breach.relationship_id}: " if breach.relationship_id is not None else ""
    return Finding(f"person {breach.person_ref}", f"{where}{breach.reason}", breach.fix)


def _basis_changed(work: Work, ctx: InvariantContext) -> Iterator[Finding]:
    """Grouped first by (activity, basis), so a million relationships cost one aggregate."""
    combos = work.session.execute(
        select(Relationship.activity, Relationship.legal_basis, func.count()).group_by(
            Relationship.activity, Relationship.legal_basis
        )
    ).all()
    stated = {a.id: str(a.legal_basis) for a in ctx.policy.activities}
    for activity, basis, _count in combos:
        if activity not in stated or basis == stated[activity]:
            continue  # an activity the policy no longer names is reported by `lawful` above
        rows = work.session.execute(
            select(Person.ref, Relationship.id)
            .join(Relationship, Relationship.person_id == Person.id)
            .where(Relationship.activity == activity, Relationship.legal_basis == basis)
            .order_by(Relationship.id)
        )
        for ref, rel_id in rows:
            yield Finding(
                f"person {ref}",
                f"relationship {rel_id}: recorded on {basis!r}, but the policy states {stated[activity]!r} for "
                f"{activity!r}",
                "check that the new basis covers this person (Art. 6(1), 13(1)(c): tell them), then record it, or "
                "end the relationship",
            )
