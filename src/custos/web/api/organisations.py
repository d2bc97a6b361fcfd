"""Organisations and their customer, supplier and partner periods: part of the register, so the same
permissions (`register.read`, `register.write`, scope `custos`) and audited changes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from custos.access.principal import Principal
from custos.register import organisations
from custos.register.schemas import OrganisationCreate, OrganisationPublic, RoleSpan
from custos.web.auth import Require, WorkDep

Reader = Annotated[Principal, Require("register.read")]
Writer = Annotated[Principal, Require("register.write")]

router = APIRouter(prefix="/api/v1/organisations", tags=["organisations"])


@router.get("", response_model=list[OrganisationPublic])
def list_organisations(
    work: WorkDep,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[OrganisationPublic]:
    return organisations.list_organisations(work, limit=limit, offset=offset)


@router.post("", response_model=OrganisationPublic, status_code=201)
def add_organisation(data: OrganisationCreate, work: WorkDep, principal: Writer) -> OrganisationPublic:
    return organisations.create_organisation(work, data)


@router.get("/{org_id}", response_model=OrganisationPublic)
def get_organisation(org_id: int, work: WorkDep, principal: Reader) -> OrganisationPublic:
    return organisations.get_organisation(work, org_id)


@router.post("/{org_id}/roles", response_model=OrganisationPublic)
def set_role(org_id: int, span: RoleSpan, work: WorkDep, principal: Writer) -> OrganisationPublic:
    """Start a role period, or end the open one by sending only `role` and `ended_on`. The customer role's end
    starts the retention clock of its contacts, so who changed it is audited (`organisations.update_role`)."""
    return organisations.update_role(work, org_id, span)
