"""Changes to one person by staff and integrations, each audited in the caller's unit: add, add a relationship,
change or end one, and correct what is held (Art. 16).

Built on the register's one writer (`register.people`), which keeps its two promises (every person has a
relationship; every relationship can fall due) and refuses a write that breaks them, naming the field.

A correction of a name, title, email or phone is a rectification, as a data subject's request is
(`requests.rectify`): the connected systems first (`systems.runs.rectify_in_system`: a mapped SQL system is
corrected where its mapping says the values live, a manual or HTTP one gets its owner's task), because they are
searched by the identities the register still holds; then the register, with one `register.rectify` event
naming the fields, an objection to marketing following a replaced address (Art. 21(3)). A system that fails
leaves the register as it was, so the correction can simply be made again: each system's correction finds the
rows under their new values, or not at all, and changes nothing more.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select

from custos.actor import Actor
from custos.audit.actions import Action
from custos.casework.dossier import Due, due_of, person_due
from custos.clock import today
from custos.errors import Conflict, InvalidInput, NotFound, Problem, SystemFailed
from custos.register import people
from custos.register.identities import IdentityError, normalise
from custos.register.models import Identity, Person
from custos.register.schemas import PersonCreate, PersonPublic, PersonUpdate, RelationshipCreate, RelationshipUpdate
from custos.requests import rectify
from custos.requests.models import SubjectRequest
from custos.retention.loader import load_people
from custos.retention.rules import CompiledPolicy
from custos.retention.verdict import judge_person
from custos.runtime import Runtime
from custos.systems.keys import SubjectKeys
from custos.systems.rectify import Rectification
from custos.systems.runs import SystemOutcome, rectify_in_system
from custos.work import Work

PURPOSE = "register maintained by staff, GDPR Art. 5(1)(d)"


def create_person(work: Work, data: PersonCreate) -> PersonPublic:
    person = people.add_person(work, data)
    work.audit(
        Action.PERSON_CREATE,
        subject=person.ref,
        details={"relationships": len(person.relationships), "activities": [r.activity for r in person.relationships]},
    )
    return person


def update_person(work: Work, ref: str, data: PersonUpdate) -> PersonPublic:
    """Art. 16: the correction takes effect at once, audited by field name, never by value."""
    person = people.update_person(work, ref, data)
    work.audit(Action.PERSON_UPDATE, subject=person.ref, details={"fields": sorted(data.model_fields_set)})
    return person


def add_relationship(work: Work, ref: str, data: RelationshipCreate) -> PersonPublic:
    person = people.add_relationship(work, ref, data)
    added = max(person.relationships, key=lambda r: r.id)
    work.audit(
        Action.RELATIONSHIP_CREATE,
        subject=ref,
        target=f"relationship:{added.id}",
        details={"subject_category": added.subject_category, "activity": added.activity},
    )
    return person


def update_relationship(work: Work, ref: str, relationship_id: int, data: RelationshipUpdate) -> PersonPublic:
    person = people.update_relationship(work, ref, relationship_id, data)
    work.audit(
        Action.RELATIONSHIP_UPDATE,
        subject=ref,
        target=f"relationship:{relationship_id}",
        details={"fields": sorted(data.model_fields_set)},
    )
    return person


def end_relationship(work: Work, ref: str, relationship_id: int, ended_on: date) -> PersonPublic:
    return update_relationship(work, ref, relationship_id, RelationshipUpdate(ended_on=ended_on))


@dataclass(frozen=True)
class EndPreview:
    """What ending a relationship on a day would make of the due dates, before anything is written."""

    relationship_id: int
    ended_on: date
    relationship_due: Due
    person_due: Due


def preview_end(work: Work, ref: str, relationship_id: int, ended_on: date) -> EndPreview:
    """The retention engine's decision on the facts as they would be with `ended_on`; checks what the register
    would refuse (an end before the start) the same way, so the confirmation never promises what fails."""
    person_id = work.session.scalar(select(Person.id).where(Person.ref == ref))
    if person_id is None:
        raise NotFound(f"no person {ref} in the register")
    on = today(work.clock)
    facts = load_people(work.session, [person_id], on).get(person_id)
    rows = list(facts.relationships) if facts is not None else []
    row = next((r for r in rows if r.id == relationship_id), None)
    if facts is None or row is None:
        raise NotFound(f"person {ref} has no relationship {relationship_id}")
    if row.started_on is not None and ended_on < row.started_on:
        raise InvalidInput("ended_on is before started_on", [Problem("ended_on", "before the relationship started")])
    changed = [replace(r, ended_on=ended_on) if r.id == relationship_id else r for r in rows]
    verdict = judge_person(CompiledPolicy.of(work.policy), replace(facts, relationships=changed), on)
    mine = next(v for v in verdict.relationships if v.row.id == relationship_id)
    return EndPreview(relationship_id, ended_on, due_of(mine), person_due(verdict))


# -- corrections (Art. 16) ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorrectionResult:
    person: PersonPublic
    fields: list[str]  # what changed, by name
    systems: list[SystemOutcome]  # per connected system: done, or waiting for its owner's task


def plan_correction(work: Work, ref: str, wanted: dict[str, str]) -> tuple[Rectification, bool]:
    """The changes the form asks for, compared with what is held: (the rectification, whether the title is to be
    emptied). `wanted` holds `name`, `title`, `email` and `phone` as the form sends them, and `old_email` /
    `old_phone` naming the value a new one replaces (empty: add it). Raises InvalidInput naming each field."""
    person = people.get_person(work, ref)
    region = work.policy.jurisdiction.phone_region
    problems: list[Problem] = []
    fields: dict[str, str] = {}
    name = wanted.get("name", "").strip()
    if not name:
        problems.append(Problem("name", "is empty: a person is registered by name"))
    elif name != person.name:
        fields["name"] = name
    title = wanted.get("title", "").strip()
    clear_title = not title and person.title is not None
    if title and title != (person.title or ""):
        fields["title"] = title
    pairs: dict[str, tuple[str, str] | None] = {"email": None, "phone": None}
    for kind, held in (("email", person.emails), ("phone", person.phones)):
        raw = wanted.get(kind, "").strip()
        old = wanted.get(f"old_{kind}", "").strip()
        if old and old not in held:
            problems.append(Problem(f"old_{kind}", f"is not one of the person's {kind} values"))
            continue
        if not raw:
            continue
        try:
            new = normalise(kind, raw, region)  # type: ignore[arg-type]
        except IdentityError as exc:
            problems.append(Problem(kind, str(exc)))
            continue
        if new != old and new not in held:
            pairs[kind] = (old, new)
    if problems:
        raise InvalidInput("the correction was not made", problems)
    changes = Rectification(email=pairs["email"], phone=pairs["phone"], fields=fields)
    if not changes and not clear_title:
        raise InvalidInput("nothing to correct", [Problem("name", "change at least one field")])
    for kind, pair in (("email", changes.email), ("phone", changes.phone)):
        if pair is not None and _belongs_to_another(work, ref, kind, pair[1]):
            raise InvalidInput(
                f"the new {kind} already belongs to another person in the register",
                [Problem(kind, "belongs to another person: correct or erase that person first")],
            )
    return changes, clear_title


def correct_person(runtime: Runtime, actor: Actor, ref: str, wanted: dict[str, str]) -> CorrectionResult:
    """Art. 16 and 19: the connected systems, then the register (see the module's docstring). Runtime tier:
    the systems are corrected between the unit that plans and the unit that writes the register."""
    with runtime.work(actor) as work:
        changes, clear_title = plan_correction(work, ref, wanted)
        person = people.get_person(work, ref)
    keys = SubjectKeys(tuple(person.emails), tuple(person.phones))
    cause = f"correction:{uuid.uuid4().hex[:12]}"
    outcomes: list[SystemOutcome] = []
    if changes:
        for system in runtime.policy.systems:
            outcome = rectify_in_system(runtime, system.id, keys, changes, subject_ref=ref, cause=cause)
            if outcome.status == "failed":
                raise SystemFailed(
                    f"{system.name} could not be corrected ({outcome.error}); the register is unchanged: try again",
                    system=system.id,
                )
            outcomes.append(outcome)
    with runtime.work(actor) as work:
        done: list[str] = []
        if changes:
            # The register's Art. 16 writer, as a request's rectification uses it; `cause` stands where a
            # request's ref would, so the event says which correction it was.
            carrier = SubjectRequest(ref=cause.removeprefix("correction:"), person_ref=ref)
            try:
                done = rectify.apply(work, carrier, changes)
            except Conflict as exc:
                raise InvalidInput(exc.message, [Problem("email" if changes.email else "phone", exc.message)]) from None
        if clear_title:
            update_person(work, ref, PersonUpdate(title=None))
            done.append("title")
        return CorrectionResult(people.get_person(work, ref), done, outcomes)


def _belongs_to_another(work: Work, ref: str, kind: str, value: str) -> bool:
    owner = work.session.scalar(
        select(Person.ref)
        .join(Identity, Identity.person_id == Person.id)
        .where(Identity.kind == kind, Identity.lookup.in_(work.keys.blind_indexes(kind, value)))
        .limit(1)
    )
    return owner is not None and owner != ref
