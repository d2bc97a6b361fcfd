"""Reading what the retention decision needs for a batch of people: a few set queries per batch (each with its
ids as one array on PostgreSQL, `retention.among`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from custos.register.models import OrganisationRole, Person, Relationship
from custos.retention.among import among
from custos.retention.facts import RelationshipRow, RoleSpan
from custos.retention.models import LegalHold
from custos.retention.verdict import PersonFacts


def active_hold_filter(on: date) -> list[ColumnElement[bool]]:
    """A hold is active on `on` from its first day through its last, until released."""
    return [
        LegalHold.released_at.is_(None),
        LegalHold.starts_on <= on,
        or_(LegalHold.ends_on.is_(None), LegalHold.ends_on >= on),
    ]


def load_people(session: Session, person_ids: Collection[int], holds_on: date) -> dict[int, PersonFacts]:
    """The facts of each person still in the register, also of one with no relationship (which has nothing
    that explains why they are held, so the verdict erases them)."""
    if not person_ids:
        return {}
    rels: dict[int, list[RelationshipRow]] = {}
    for row in session.execute(
        select(
            Relationship.id,
            Relationship.person_id,
            Relationship.subject_category,
            Relationship.activity,
            Relationship.organisation_id,
            Relationship.started_on,
            Relationship.ended_on,
            Relationship.last_interaction_on,
            Relationship.collected_on,
        )
        .where(among(session, Relationship.person_id, person_ids))
        .order_by(Relationship.id)
    ):
        rels.setdefault(row.person_id, []).append(RelationshipRow(*row))
    lonely = [pid for pid in person_ids if pid not in rels]
    if lonely:
        for pid in session.scalars(select(Person.id).where(among(session, Person.id, lonely))):
            rels[pid] = []
    org_ids = {r.organisation_id for rs in rels.values() for r in rs if r.organisation_id is not None}
    roles: dict[int, list[RoleSpan]] = {}
    if org_ids:
        for org_id, role, started, ended in session.execute(
            select(
                OrganisationRole.organisation_id,
                OrganisationRole.role,
                OrganisationRole.started_on,
                OrganisationRole.ended_on,
            ).where(among(session, OrganisationRole.organisation_id, org_ids))
        ):
            roles.setdefault(org_id, []).append((role, started, ended))
    held_people, held_orgs = _holds(session, list(rels), org_ids, holds_on)
    held = frozenset(held_orgs)  # one set shared by the batch's people, not a copy each
    return {
        pid: PersonFacts(
            person_id=pid,
            relationships=rs,
            roles={org: roles.get(org, []) for org in {r.organisation_id for r in rs} if org is not None},
            person_held=pid in held_people,
            held_organisations=held,
        )
        for pid, rs in rels.items()
    }


def _holds(session: Session, person_ids: list[int], org_ids: set[int], on: date) -> tuple[set[int], set[int]]:
    if not person_ids:
        return set(), set()
    targets = [among(session, LegalHold.person_id, person_ids)]
    if org_ids:
        targets.append(among(session, LegalHold.organisation_id, org_ids))
    people: set[int] = set()
    orgs: set[int] = set()
    for person_id, org_id in session.execute(
        select(LegalHold.person_id, LegalHold.organisation_id).where(or_(*targets), *active_hold_filter(on))
    ):
        if person_id is not None:
            people.add(person_id)
        if org_id is not None:
            orgs.add(org_id)
    return people, orgs
