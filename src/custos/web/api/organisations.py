"""Organisations and their customer, supplier and partner periods."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from custos.register import organisations
from custos.register.schemas import OrganisationCreate, OrganisationPublic, RoleSpan
from custos.web.deps import RuntimeDep, SessionDep

router = APIRouter(prefix="/api/v1/organisations", tags=["organisations"])


@router.get("", response_model=list[OrganisationPublic])
def list_organisations(
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[OrganisationPublic]:
    return organisations.list_organisations(session, runtime.clock, limit=limit, offset=offset)


@router.post("", response_model=OrganisationPublic, status_code=201)
def add_organisation(data: OrganisationCreate, session: SessionDep, runtime: RuntimeDep) -> OrganisationPublic:
    return organisations.add_organisation(session, runtime.clock, data)


@router.get("/{org_id}", response_model=OrganisationPublic)
def get_organisation(org_id: int, session: SessionDep, runtime: RuntimeDep) -> OrganisationPublic:
    return organisations.get_organisation(session, runtime.clock, org_id)


@router.post("/{org_id}/roles", response_model=OrganisationPublic)
def set_role(org_id: int, span: RoleSpan, session: SessionDep, runtime: RuntimeDep) -> OrganisationPublic:
    """Start a role period, or end the open one by sending only `role` and `ended_on`."""
    return organisations.set_role(session, runtime.clock, org_id, span)
