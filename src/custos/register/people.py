"""People in the register: adding, finding by email or phone, reading and correcting.

This is the one path that writes a person or a relationship (the CLI, the API and the demo call it; the CSV
importer applies the same `register.lawful` rules in bulk). It guarantees two promises: every person has at
least one relationship, which names the purpose and the legal basis they are held for (Art. 5(1)(b), 6(1)),
and every relationship can fall due under its activity's retention rule (Art. 5(1)(e)): a missing anchor date
is filled in from what is known, and a write that would keep the data forever is refused, naming the field.
A relationship is only ever removed by retention, which erases the person with their last one.

The writers here do not audit: they are the building blocks of the services that do, in the same unit
(`casework.corrections` for staff and the API, the importer, requests, the demo). The reads a caller makes
of a person (`read_person`, `look_up`, `list_page`) audit themselves.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from custos.audit.actions import Action
from custos.clock import today
from custos.errors import Conflict, InvalidInput, NotFound, Problem
from custos.register import sealed
from custos.register.identities import IdentityError, IdentityKind, normalise
from custos.register.lawful import Dates, never_due, resolve_activity, with_defaults
from custos.register.listed import record_list
from custos.register.models import Identity, Organisation, Person, Relationship
from custos.register.schemas import (
    PersonCreate,
    PersonPublic,
    PersonSummary,
    PersonUpdate,
    RelationshipCreate,
    RelationshipPublic,
    RelationshipUpdate,
)
from custos.register.sealed import IDENTITY as IDENTITY
from custos.register.sealed import NAME as NAME
from custos.register.sealed import TITLE as TITLE
from custos.work import Work


def normalised_identities(data: PersonCreate, phone_region: str) -> list[tuple[IdentityKind, str]]:
    problems: list[Problem] = []
    found: list[tuple[IdentityKind, str]] = []
    for kind, values in (("email", data.emails), ("phone", data.phones)):
        for i, raw in enumerate(values):
            try:
                value = normalise(kind, raw, phone_region)  # type: ignore[arg-type]
            except IdentityError as exc:
                problems.append(Problem(f"{kind}s[{i}]", str(exc)))
                continue
            if (kind, value) not in found:
                found.append((kind, value))  # type: ignore[arg-type]
    if problems:
        raise InvalidInput("the person's contact details are not valid", problems)
    return found


def add_person(work: Work, data: PersonCreate) -> PersonPublic:
    if not data.relationships:
        # Art. 5(1)(b), 6(1): a person is held for a purpose, on a basis; the relationship is where both are.
        raise InvalidInput(
            "a person needs at least one relationship: why they are registered, under which activity",
            [
                Problem(
                    "relationships",
                    "is empty: without a relationship the person is held for no purpose and on no legal basis",
                    hint="add e.g. {subject_category: prospect, source: 'Cloud fair 2025'}",
                )
            ],
        )
    session = work.session
    identities = normalised_identities(data, work.policy.jurisdiction.phone_region)
    for kind, value in identities:
        if _find_identity(work, kind, value) is not None:
            raise Conflict(f"a person with this {kind} is already in the register")
    # Every relationship is checked before anything is written, so a refused one leaves nothing behind.
    relationships: list[Relationship] = []
    for i, rel in enumerate(data.relationships):
        _append_new(relationships, _new_relationship(work, rel, f"relationships[{i}]"))
    now = work.clock.now()
    person = sealed.new_person(work.keys, ref=str(uuid.uuid4()), name=data.name, title=data.title, now=now)
    person.identities = [sealed.new_identity(work.keys, kind, value) for kind, value in identities]
    person.relationships = relationships
    session.add(person)
    session.flush()
    sealed.index_name(session, work.keys, {person.id: data.name})
    return to_public(work, person)


def get_person(work: Work, ref: str) -> PersonPublic:
    return to_public(work, _load(work, ref))


def find_person(work: Work, kind: IdentityKind, value: str) -> PersonPublic:
    """Exact look-up through the blind index; the register is never decrypted to search it."""
    try:
        normalised = normalise(kind, value, work.policy.jurisdiction.phone_region)
    except IdentityError as exc:
        raise InvalidInput(str(exc), [Problem(kind, str(exc))]) from None
    identity = _find_identity(work, kind, normalised)
    if identity is None:
        raise NotFound(f"no person with that {kind} in the register")
    return get_person(work, identity.person.ref)


def list_people(work: Work, *, limit: int = 50, offset: int = 0) -> list[PersonSummary]:
    rows = work.session.scalars(
        select(Person).options(selectinload(Person.relationships)).order_by(Person.id).limit(limit).offset(offset)
    )
    return [
        PersonSummary(
            ref=p.ref,
            name=sealed.name_of(work.keys, p.name_enc),
            subject_categories=sorted({r.subject_category for r in p.relationships}),
        )
        for p in rows
    ]


def count_people(work: Work) -> int:
    return int(work.session.scalar(select(func.count()).select_from(Person)) or 0)


# -- reads as staff and integrations make them, each audited by ref in the caller's unit (Art. 5(2)) ----------


def read_person(work: Work, ref: str) -> PersonPublic:
    person = get_person(work, ref)
    work.audit(Action.PERSON_READ, subject=person.ref)
    return person


def look_up(work: Work, kind: IdentityKind, value: str) -> PersonPublic:
    """`find_person`, audited as a read that came through that identity."""
    person = find_person(work, kind, value)
    work.audit(Action.PERSON_READ, subject=person.ref, details={"via": kind})
    return person


def list_page(work: Work, *, limit: int = 50, offset: int = 0) -> tuple[list[PersonSummary], int]:
    """A page of people in the order they were added, and how many there are; a read of each on it."""
    rows = list_people(work, limit=limit, offset=offset)
    record_list(work, [p.ref for p in rows], offset=offset, details={"limit": limit})
    return rows, count_people(work)


def update_person(work: Work, ref: str, data: PersonUpdate) -> PersonPublic:
    """Art. 16: a correction takes effect at once."""
    person = _load(work, ref)
    if data.name is not None:
        sealed.rename(work.session, work.keys, person, data.name)
    if "title" in data.model_fields_set:
        sealed.set_title(work.keys, person, data.title)
    person.updated_at = work.clock.now()
    work.session.flush()
    return to_public(work, person)


def add_relationship(work: Work, ref: str, data: RelationshipCreate) -> PersonPublic:
    person = _load(work, ref)
    _add_relationship(work, person, data, "relationship")
    work.session.flush()
    return to_public(work, person)


def update_relationship(work: Work, ref: str, relationship_id: int, data: RelationshipUpdate) -> PersonPublic:
    person = _load(work, ref)
    rel = next((r for r in person.relationships if r.id == relationship_id), None)
    if rel is None:
        raise NotFound(f"person {ref} has no relationship {relationship_id}")
    changes = {field: getattr(data, field) for field in data.model_fields_set}
    ended_on = changes.get("ended_on", rel.ended_on)
    if rel.started_on and ended_on and ended_on < rel.started_on:
        raise InvalidInput("ended_on is before started_on", [Problem("ended_on", "before started_on")])
    dates = Dates(
        rel.started_on, ended_on, changes.get("last_interaction_on", rel.last_interaction_on), rel.collected_on
    )
    _refuse_never_due(work, rel.activity, dates, rel.organisation_id, "")
    for field, value in changes.items():
        setattr(rel, field, value)
    rel.updated_at = work.clock.now()
    work.session.flush()
    return to_public(work, person)


def _add_relationship(work: Work, person: Person, data: RelationshipCreate, where: str) -> Relationship:
    rel = _new_relationship(work, data, where)
    _append_new(person.relationships, rel)
    return rel


def _append_new(relationships: list[Relationship], rel: Relationship) -> None:
    key = (rel.subject_category, rel.activity, rel.organisation_id)
    if any((r.subject_category, r.activity, r.organisation_id) == key for r in relationships):
        raise Conflict("the person already has this relationship; update it instead")
    relationships.append(rel)


def _new_relationship(work: Work, data: RelationshipCreate, where: str) -> Relationship:
    """A checked relationship, not yet attached: its activity and basis from the policy, its dates settled so
    that it can fall due (`register.lawful`), or InvalidInput naming the field at `where`."""
    activity, basis = resolve_activity(work.policy, data.subject_category, data.activity, where)
    if data.organisation_id is not None and work.session.get(Organisation, data.organisation_id) is None:
        raise InvalidInput(
            f"organisation {data.organisation_id} does not exist",
            [Problem(f"{where}.organisation_id", "no such organisation", hint="create it first")],
        )
    on = today(work.clock)
    asked = Dates(data.started_on, data.ended_on, data.last_interaction_on, data.collected_on or on)
    dates = with_defaults(work.policy.activity(activity).retention, asked, on)
    _refuse_never_due(work, activity, dates, data.organisation_id, f"{where}.")
    now = work.clock.now()
    return Relationship(
        subject_category=data.subject_category,
        activity=activity,
        organisation_id=data.organisation_id,
        legal_basis=basis,
        started_on=dates.started_on,
        ended_on=dates.ended_on,
        last_interaction_on=dates.last_interaction_on,
        collected_on=dates.collected_on,
        source=data.source,
        created_at=now,
        updated_at=now,
    )


def _refuse_never_due(work: Work, activity: str, dates: Dates, organisation_id: int | None, where: str) -> None:
    """Refuse a relationship its activity's rule could never make due (Art. 5(1)(e)), naming the field."""
    rule = next((a.retention for a in work.policy.activities if a.id == activity), None)
    if rule is None:  # an activity the policy no longer names: `custos doctor` reports it, a date change is fine
        return
    roles: frozenset[str] = frozenset()
    if organisation_id is not None:
        org = work.session.get(Organisation, organisation_id)
        roles = frozenset(r.role for r in org.roles) if org is not None else frozenset()
    gap = never_due(activity, rule, dates, organisation_id=organisation_id, roles=roles)
    if gap is not None:
        raise InvalidInput(
            f"the relationship could never fall due under the {activity} retention rule ({gap.field})",
            [Problem(f"{where}{gap.field}", gap.message, hint=gap.hint)],
        )


def _load(work: Work, ref: str) -> Person:
    person = work.session.scalar(
        select(Person)
        .where(Person.ref == ref)
        .options(
            selectinload(Person.identities),
            selectinload(Person.relationships).selectinload(Relationship.organisation),
        )
    )
    if person is None:
        raise NotFound(f"no person {ref} in the register")
    return person


def _find_identity(work: Work, kind: str, normalised: str) -> Identity | None:
    return work.session.scalar(
        select(Identity)
        .where(Identity.kind == kind, Identity.lookup.in_(work.keys.blind_indexes(kind, normalised)))
        .limit(1)
    )


def to_public(work: Work, person: Person) -> PersonPublic:
    values = [(i.kind, sealed.value_of(work.keys, i.value_enc)) for i in person.identities]
    return PersonPublic(
        ref=person.ref,
        name=sealed.name_of(work.keys, person.name_enc),
        title=sealed.title_of(work.keys, person.title_enc),
        emails=[v for k, v in values if k == "email"],
        phones=[v for k, v in values if k == "phone"],
        relationships=[_rel_public(r) for r in person.relationships],
        created_at=person.created_at,
        updated_at=person.updated_at,
    )


def _rel_public(rel: Relationship) -> RelationshipPublic:
    return RelationshipPublic(
        id=rel.id,
        subject_category=rel.subject_category,
        activity=rel.activity,
        legal_basis=rel.legal_basis,
        organisation_id=rel.organisation_id,
        organisation_name=rel.organisation.name if rel.organisation else None,
        started_on=rel.started_on,
        ended_on=rel.ended_on,
        last_interaction_on=rel.last_interaction_on,
        collected_on=rel.collected_on,
        source=rel.source,
    )
