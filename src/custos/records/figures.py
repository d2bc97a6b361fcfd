"""The register's figures the records and selections need, each one aggregate query (no per-person loops)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, func, select

from custos.register.models import OrganisationRole, Relationship
from custos.work import Work


def organisations_with_role(role: str, on: date) -> Select[int]:
    """Ids of organisations holding `role` on `on`, the same reading as `register.organisations.has_role_on`."""
    return select(OrganisationRole.organisation_id).where(
        OrganisationRole.role == role,
        (OrganisationRole.started_on.is_(None)) | (OrganisationRole.started_on <= on),
        (OrganisationRole.ended_on.is_(None)) | (OrganisationRole.ended_on >= on),
    )


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
