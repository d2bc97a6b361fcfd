"""Organisations and their customer, supplier and partner periods: part of the register, so the same
permissions (`register.read`, `register.write`, scope `custos`) and audited changes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from custos import audit
from custos.access.principal import Principal
from custos.register import organisations
from custos.register.schemas import OrganisationCreate, OrganisationPublic, RoleSpan
from custos.web.auth import Require
from custos.web.deps import RuntimeDep, SessionDep

Reader = Annotated[Principal, Require("register.read")]
Writer = Annotated[Principal, Require("register.write")]

router = APIRouter(prefix="/api/v1/organisations", tags=["organisations"])


@router.get("", response_model=list[OrganisationPublic])
def list_organisations(
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[OrganisationPublic]:
    return organisations.list_organisations(session, runtime.clock, limit=limit, offset=offset)


@router.post("", response_model=OrganisationPublic, status_code=201)
def add_organisation(
    data: OrganisationCreate, session: SessionDep, runtime: RuntimeDep, principal: Writer
) -> OrganisationPublic:
    org = organisations.add_organisation(session, runtime.clock, data)
    audit.record(session, runtime.clock, principal.actor, "organisation.create", target=f"organisation:{org.id}")
    return org


@router.get("/{org_id}", response_model=OrganisationPublic)
def get_organisation(org_id: int, session: SessionDep, runtime: RuntimeDep, principal: Reader) -> OrganisationPublic:
    return organisations.get_organisation(session, runtime.clock, org_id)


@router.post("/{org_id}/roles", response_model=OrganisationPublic)
def set_role(
    org_id: int, span: RoleSpan, session: SessionDep, runtime: RuntimeDep, principal: Writer
) -> OrganisationPublic:
    """Start a role period, or end the open one by sending only `role` and `ended_on`."""
    org = organisations.set_role(session, runtime.clock, org_id, span)
    # The customer role's end starts the retention clock of its contacts, so who changed it matters.
    audit.record(
        session,
        runtime.clock,
        principal.actor,
        "organisation.update",
        target=f"organisation:{org_id}",
        details={"role": span.role, "fields": sorted(span.model_fields_set)},
    )
    return org
