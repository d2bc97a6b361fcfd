"""Who is affected: the people in the register within an incident's scope, to count them and to write to them.

Scope is the intersection of what the incident names: register organisations, subject categories, and
systems (a relationship is in a system when its processing activity lists that system in the policy).
An incident that names none of these has no register scope: selecting "everyone" by accident would send
Art. 34 letters to people who were never affected.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, select

from custos.errors import InvalidInput, Problem
from custos.incidents.models import Incident
from custos.incidents.schemas import ScopeCount
from custos.policy import Policy
from custos.register.models import Person, Relationship
from custos.work import Work


def _relationships(incident: Incident, policy: Policy) -> Select[int, int]:
    if not (incident.organisation_ids or incident.subject_categories or incident.systems):
        raise InvalidInput(
            "the incident names no organisations, subject categories or systems to select people by",
            [Problem("scope", "empty", hint="set organisation_ids, subject_categories or systems first")],
        )
    query = select(Relationship.id, Relationship.person_id)
    if incident.organisation_ids:
        query = query.where(Relationship.organisation_id.in_(incident.organisation_ids))
    if incident.subject_categories:
        query = query.where(Relationship.subject_category.in_(incident.subject_categories))
    if incident.systems:
        activities = [a.id for a in policy.activities if set(a.systems) & set(incident.systems)]
        query = query.where(Relationship.activity.in_(activities))
    return query


def count(work: Work, incident: Incident) -> ScopeCount:
    """Subjects: distinct people in scope. Records: their relationships in scope (one register entry each)."""
    rows = _relationships(incident, work.policy).subquery()
    subjects = work.session.scalar(select(func.count(func.distinct(rows.c.person_id))))
    records = work.session.scalar(select(func.count()).select_from(rows))
    return ScopeCount(subjects=int(subjects or 0), records=int(records or 0))


def people(work: Work, incident: Incident) -> Sequence[Person]:
    person_ids = _relationships(incident, work.policy).with_only_columns(Relationship.person_id).distinct()
    return work.session.scalars(select(Person).where(Person.id.in_(person_ids)).order_by(Person.id)).all()
