"""Helpers for breach tests: an incident opened through the service, organisations and people in scope."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from incident_helpers import OFFICER, AddOrg, AddPerson, Inbox, OpenIncident, free_port

from custos.incidents import service
from custos.incidents.schemas import IncidentCreate, IncidentPublic
from custos.register import organisations, people
from custos.register.schemas import OrganisationCreate, PersonCreate, RelationshipCreate, RoleSpan
from custos.runtime import Runtime


@pytest.fixture
def open_incident(runtime: Runtime) -> OpenIncident:
    def make(**fields: Any) -> IncidentPublic:
        values: dict[str, Any] = {
            "summary": "Laptop with a CRM export stolen",
            "reported_by": "IT",
            "kinds": ["confidentiality"],
        }
        values.update(fields)
        with runtime.db.transaction() as session:
            return service.open_incident(session, runtime.clock, runtime.policy, OFFICER, IncidentCreate(**values))

    return make


@pytest.fixture
def add_org(runtime: Runtime) -> AddOrg:
    def make(name: str) -> int:
        with runtime.db.transaction() as session:
            data = OrganisationCreate(name=name, roles=[RoleSpan(role="customer")])
            return organisations.add_organisation(session, runtime.clock, data).id

    return make


@pytest.fixture
def add_person(runtime: Runtime) -> AddPerson:
    """`add_person("Anna", "anna@x.se", "customer_contact", organisation_id=1)`: returns the ref."""

    def make(name: str, email: str | None, category: str, organisation_id: int | None = None) -> str:
        data = PersonCreate(
            name=name,
            emails=[email] if email else [],
            phones=[] if email else ["+46 70 123 45 67"],
            relationships=[RelationshipCreate(subject_category=category, organisation_id=organisation_id)],
        )
        with runtime.db.transaction() as session:
            return people.add_person(session, runtime.register, data).ref

    return make


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on a free localhost port, and what it received."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
