"""The register's figures the records need, each one aggregate query (no per-person loops)."""

from __future__ import annotations

from sqlalchemy import func, select

from custos.register.models import Relationship
from custos.work import Work


def people_per_subject_category(work: Work) -> dict[str, int]:
    rows = work.session.execute(
        select(Relationship.subject_category, func.count(func.distinct(Relationship.person_id))).group_by(
            Relationship.subject_category
        )
    )
    return {category: int(count) for category, count in rows}


def people_per_activity(work: Work) -> dict[str, int]:
    rows = work.session.execute(
        select(Relationship.activity, func.count(func.distinct(Relationship.person_id))).group_by(Relationship.activity)
    )
    return {activity: int(count) for activity, count in rows}
