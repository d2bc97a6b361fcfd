"""Helpers for breach tests: an incident opened through the service, organisations and people in scope."""

from __future__ import annotations

from typing import Any

import pytest
from incident_helpers import OFFICER, AddOrg, AddPerson, OpenIncident

from custos.incidents import service
from custos.incidents.schemas import IncidentCreate, IncidentPublic
from custos.register import organisations, people
from custos.register.schemas import OrganisationCreate, PersonCreate, RelationshipCreate, RoleSpan
from custos.runtime import Runtime
from smtp_catch import CaughtMail


@pytest.fixture
def open_incident(runtime: Runtime) -> OpenIncident:
    def make(**fields: Any) -> IncidentPublic:
        values: dict[str, Any] = {
            "summary": "Laptop with a CRM export stolen",
            "reported_by": "IT",
            "kinds": ["confidentiality"],
        }
        values.update(fields)
        with runtime.work(OFFICER) as work:
            return service.open_incident(work, IncidentCreate(**values))

    return make


@pytest.fixture
def add_org(runtime: Runtime) -> AddOrg:
    def make(name: str) -> int:
        with runtime.work(OFFICER) as work:
            data = OrganisationCreate(name=name, roles=[RoleSpan(role="customer")])
            return organisations.add_organisation(work, data).id

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
        with runtime.work(OFFICER) as work:
            return people.add_person(work, data).ref

    return make


@pytest.fixture
def smtp(smtp_server: CaughtMail) -> tuple[CaughtMail, int]:
    """The shared real SMTP server (tests/conftest.py), and its port, as the breach tests take them."""
    return smtp_server, smtp_server.port
