"""The people of an organisation with the day each falls due, and ending one of its roles after showing how many
people's due dates that changes (ending a customer role starts the clock of its contacts' retention)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, select

from custos.audit.actions import Action
from custos.clock import today
from custos.errors import InvalidInput, Problem
from custos.register.listed import record_list
from custos.register.models import Organisation, Person, Relationship
from custos.register.organisations import load, set_role
from custos.register.people import NAME
from custos.register.schemas import RoleSpan
from custos.retention.facts import RelationshipRow
from custos.retention.rules import CompiledPolicy
from custos.retention.verdict import judge_relationship
from custos.work import Work


def end_role(work: Work, org_id: int, role: str, ended_on: date, *, confirmed: str) -> tuple[int, bool]:
    """End the open period of `role` on `ended_on`, but only when `confirmed` is the number of people whose
    due dates that changes, as the confirmation showed it: (that number, whether the period was ended). A number
    that changed meanwhile ends nothing, so the caller shows it again."""
    if not [r for r in load(work.session, org_id).roles if r.role == role and r.ended_on is None]:
        raise InvalidInput(f"there is no open {role} period to end", [Problem("role", "no open period")])
    changes = due_changes_if_ended(work, org_id, role, ended_on)
    if confirmed != str(changes):
        return changes, False
    set_role(work, org_id, RoleSpan(role=role, ended_on=ended_on))
    work.audit(
        Action.ORGANISATION_ROLE_END,
        target=f"organisation:{org_id}",
        details={"role": role, "ended_on": ended_on.isoformat(), "due_dates_changed": changes},
    )
    return changes, True


@dataclass(frozen=True)
class OrganisationPerson:
    """A person's relationship through the organisation, with the day it falls due under the policy."""

    ref: str
    name: str
    subject_category: str
    activity: str
    started_on: date | None
    ended_on: date | None
    due_on: date | None


def _spans(org: Organisation) -> list[tuple[str, date | None, date | None]]:
    return [(r.role, r.started_on, r.ended_on) for r in org.roles]


def _rows(org_id: int) -> Select[Relationship, str, bytes]:
    return (
        select(Relationship, Person.ref, Person.name_enc)
        .join(Person, Person.id == Relationship.person_id)
        .where(Relationship.organisation_id == org_id)
        .order_by(Relationship.id)
    )


def _row(rel: Relationship) -> RelationshipRow:
    return RelationshipRow(
        rel.id,
        rel.person_id,
        rel.subject_category,
        rel.activity,
        rel.organisation_id,
        rel.started_on,
        rel.ended_on,
        rel.last_interaction_on,
        rel.collected_on,
    )


def people_of(work: Work, org_id: int, *, limit: int = 50, offset: int = 0) -> tuple[list[OrganisationPerson], int]:
    """One page of the relationships that hang on the organisation, names decrypted and the read audited as
    `person.list` by ref (Art. 5(2)), and how many there are."""
    session = work.session
    org = load(session, org_id)
    rules, on, spans = CompiledPolicy.of(work.policy), today(work.clock), _spans(org)
    total = (
        session.scalar(select(func.count()).select_from(Relationship).where(Relationship.organisation_id == org_id))
        or 0
    )
    found = []
    for rel, ref, name_enc in session.execute(_rows(org_id).limit(limit).offset(offset)):
        verdict = judge_relationship(rules, _row(rel), spans, on, False)
        found.append(
            OrganisationPerson(
                ref=ref,
                name=work.keys.decrypt(name_enc, NAME),
                subject_category=rel.subject_category,
                activity=rel.activity,
                started_on=rel.started_on,
                ended_on=rel.ended_on,
                due_on=verdict.due_on,
            )
        )
    record_list(work, sorted({p.ref for p in found}), offset=offset, target=f"organisation:{org_id}")
    return found, total


def due_changes_if_ended(work: Work, org_id: int, role: str, ended_on: date) -> int:
    """How many people on the organisation would get another due date if its open `role` period ended on
    `ended_on` (ending a customer role starts the clock of its contacts' retention). Nothing is written."""
    session = work.session
    org = load(session, org_id)
    rules, on, before = CompiledPolicy.of(work.policy), today(work.clock), _spans(org)
    open_spans = [i for i, r in enumerate(org.roles) if r.role == role and r.ended_on is None]
    if not open_spans:
        return 0
    after = list(before)
    last = open_spans[-1]
    after[last] = (role, before[last][1], ended_on)
    changed: set[int] = set()
    for rel in session.scalars(select(Relationship).where(Relationship.organisation_id == org_id)):
        row = _row(rel)
        was = judge_relationship(rules, row, before, on, False).due_on
        becomes = judge_relationship(rules, row, after, on, False).due_on
        if was != becomes:
            changed.add(rel.person_id)
    return len(changed)
