"""The records of processing activities (Art. 30), built from the policy, its systems and the register.

Nothing is typed twice: every field comes from the policy file or is counted in the register. A policy that
lacks a field the records need is refused with the same findings `custos policy check` reports, so a record
handed to the authority never has a blank where a field belongs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from custos.crypto import KeyRing
from custos.errors import PolicyInvalid, Problem
from custos.policy import Policy, SubjectKind, Transfer
from custos.policy.art30 import records_findings
from custos.policy.check import written
from custos.records.figures import people_per_activity, people_per_subject_category
from custos.register.models import Identity, Organisation, OrganisationRole, Person, Relationship
from custos.register.organisations import organisations_with_role
from custos.register.people import IDENTITY, NAME
from custos.work import Work

RecordKind = Literal["controller", "processor"]


@dataclass(frozen=True)
class Party:
    """Art. 30(1)(a), 30(2)(a): who keeps the record, and its data protection contact."""

    name: str
    org_number: str | None
    country: str
    contact: str
    supervisory_authority: str
    protection_person: str
    protection_contact: str
    formal_dpo: bool


@dataclass(frozen=True)
class Named:
    id: str
    name: str
    count: int | None = None  # people in the register, where it counts them


@dataclass(frozen=True)
class ActivityRecord:
    id: str
    name: str
    purpose: str  # (b)
    legal_basis: str
    law: str | None
    subjects: list[Named]  # (c)
    data: list[Named]  # (c)
    recipients: list[str]  # (d)
    transfers: list[str]  # (e)
    retention: str  # (f)
    systems: list[Named]
    source: str | None
    people: int


@dataclass(frozen=True)
class ControllerRecord:
    party: Party
    activities: list[ActivityRecord]
    security_measures: list[str]  # (g)
    policy_version: date
    generated_at: datetime
    kind: Literal["controller"] = "controller"


@dataclass(frozen=True)
class Customer:
    """A controller on whose behalf the organisation processes (Art. 30(2)(a))."""

    name: str
    org_number: str | None
    customer_since: date | None
    contacts: int
    contact: str | None  # "name <email>" of one designated contact; only for readers allowed to see people


@dataclass(frozen=True)
class ServiceRecord:
    id: str
    service: str
    description: str
    processing: list[str]  # (b)
    transfers: list[str]  # (c)


@dataclass(frozen=True)
class ProcessorRecord:
    party: Party
    services: list[ServiceRecord]
    customers: list[Customer]
    security_measures: list[str]  # (d)
    policy_version: date
    generated_at: datetime
    contacts_shown: bool
    kind: Literal["processor"] = "processor"
    notes: list[str] = field(default_factory=list)


def require_complete(policy: Policy) -> None:
    """Refuse a policy the records would have to leave blanks in, naming each missing field."""
    findings = records_findings(written(policy))
    if findings:
        problems = [Problem(location=f.path, message=f.message, hint=f.hint) for f in findings]
        raise PolicyInvalid(f"the policy lacks {len(problems)} field(s) the Art. 30 records need", problems)


def _party(policy: Policy) -> Party:
    org, protection = policy.organisation, policy.data_protection
    assert protection.contact is not None  # require_complete ran first
    return Party(
        name=org.name,
        org_number=org.org_number,
        country=org.country,
        contact=str(org.contacts.privacy),
        supervisory_authority=org.supervisory_authority,
        protection_person=protection.person,
        protection_contact=str(protection.contact),
        formal_dpo=protection.formal_dpo,
    )


def _transfer(transfer: Transfer) -> str:
    to = f" to {transfer.recipient}" if transfer.recipient else ""
    return f"{transfer.country}{to} ({transfer.safeguard.value.replace('_', ' ')})"


def controller_record(work: Work) -> ControllerRecord:
    policy = work.policy
    require_complete(policy)
    per_subject = people_per_subject_category(work)
    per_activity = people_per_activity(work)
    activities = []
    for activity in policy.activities:
        subjects = [Named(s, policy.subject_category(s).name, per_subject.get(s, 0)) for s in activity.subjects]
        recipients = [
            f"{r.name} ({r.kind.value})" + (f": {r.description}" if r.description else "") for r in activity.recipients
        ]
        activities.append(
            ActivityRecord(
                id=activity.id,
                name=activity.name,
                purpose=activity.purpose,
                legal_basis=activity.legal_basis.value,
                law=activity.law,
                subjects=subjects,
                data=[Named(c.id, c.description) for c in policy.resolve_data(activity)],
                recipients=recipients,
                transfers=[_transfer(t) for t in activity.transfers],
                retention=activity.retention.describe()
                + (f" ({activity.retention.reason})" if activity.retention.reason else ""),
                systems=[Named(s, policy.system(s).name) for s in activity.systems],
                source=activity.source,
                people=per_activity.get(activity.id, 0),
            )
        )
    return ControllerRecord(
        party=_party(policy),
        activities=activities,
        security_measures=[m.description for m in policy.security_measures],
        policy_version=policy.current_version,
        generated_at=work.clock.now(),
    )


def processor_record(work: Work, *, show_contacts: bool) -> ProcessorRecord:
    """`show_contacts`: name one designated contact per customer; only for readers who may see the register."""
    policy, now = work.policy, work.clock.now()
    require_complete(policy)
    services = [
        ServiceRecord(
            id=s.id,
            service=s.service,
            description=s.description,
            processing=list(s.processing or []),
            transfers=[_transfer(t) for t in s.transfers or []],
        )
        for s in policy.processor
    ]
    return ProcessorRecord(
        party=_party(policy),
        services=services,
        customers=_customers(work.session, policy, work.keys, now.date(), show_contacts) if services else [],
        security_measures=[m.description for m in policy.security_measures],
        policy_version=policy.current_version,
        generated_at=now,
        contacts_shown=show_contacts,
    )


def _customers(session: Session, policy: Policy, keys: KeyRing, on: date, show_contacts: bool) -> list[Customer]:
    current = organisations_with_role("customer", on).subquery()
    contact_categories = [s.id for s in policy.subject_categories if s.kind is SubjectKind.CUSTOMER_CONTACT]
    since = (
        select(OrganisationRole.organisation_id, func.min(OrganisationRole.started_on).label("since"))
        .where(OrganisationRole.role == "customer")
        .group_by(OrganisationRole.organisation_id)
        .subquery()
    )
    contacts = (
        select(
            Relationship.organisation_id,
            func.count(func.distinct(Relationship.person_id)).label("people"),
            func.min(Relationship.person_id).label("first"),
        )
        .where(Relationship.subject_category.in_(contact_categories))
        .group_by(Relationship.organisation_id)
        .subquery()
    )
    rows = session.execute(
        select(Organisation.name, Organisation.org_number, since.c.since, contacts.c.people, contacts.c.first)
        .where(Organisation.id.in_(select(current.c.organisation_id)))
        .join(since, since.c.organisation_id == Organisation.id, isouter=True)
        .join(contacts, contacts.c.organisation_id == Organisation.id, isouter=True)
        .order_by(Organisation.name, Organisation.id)
    ).all()
    named = _contact_names(session, keys, [r.first for r in rows if r.first is not None]) if show_contacts else {}
    return [
        Customer(
            name=r.name,
            org_number=r.org_number,
            customer_since=r.since,
            contacts=int(r.people or 0),
            contact=named.get(r.first) if r.first is not None else None,
        )
        for r in rows
    ]


def _contact_names(session: Session, keys: KeyRing, person_ids: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(person_ids), 1000):
        chunk = person_ids[start : start + 1000]
        for pid, name_enc in session.execute(select(Person.id, Person.name_enc).where(Person.id.in_(chunk))):
            found[pid] = keys.decrypt(name_enc, NAME)
        emails = session.execute(
            select(Identity.person_id, func.min(Identity.id))
            .where(Identity.person_id.in_(chunk), Identity.kind == "email")
            .group_by(Identity.person_id)
        ).all()
        ids = [iid for _, iid in emails]
        for pid, value_enc in session.execute(
            select(Identity.person_id, Identity.value_enc).where(Identity.id.in_(ids))
        ):
            found[pid] = f"{found.get(pid, '')} <{keys.decrypt(value_enc, IDENTITY)}>"
    return found
