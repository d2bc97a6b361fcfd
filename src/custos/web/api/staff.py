"""Staff accounts, roles, grants, other people's API tokens, and the access review: all need `staff.manage`.

Separation of duties (Art. 32): managing accounts gives no access to personal data, and nobody can grant
a role to themselves. A grant that reaches personal data, or goes beyond what its granter holds, is created
pending (four eyes): it gives nothing until a second member who holds it approves it
(`POST /api/v1/grants/{id}/approve`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from custos.access import grants as grant_rules
from custos.access import staff as service
from custos.access import tokens
from custos.access.principal import Principal
from custos.access.review import AccessReviewRow, access_review
from custos.access.schemas import (
    GrantCreate,
    GrantPublic,
    RoleCreate,
    RolePublic,
    StaffCreate,
    StaffCreated,
    StaffPublic,
    StaffUpdate,
    TokenPublic,
)
from custos.web.auth import Require, WorkDep

router = APIRouter(prefix="/api/v1", tags=["staff"])

Manager = Annotated[Principal, Require("staff.manage")]


@router.get("/staff", response_model=list[StaffPublic])
def list_staff(work: WorkDep, principal: Manager) -> list[StaffPublic]:
    return [StaffPublic.of(s) for s in service.list_staff(work)]


@router.post("/staff", response_model=StaffCreated, status_code=201)
def add_staff(data: StaffCreate, work: WorkDep, principal: Manager) -> StaffCreated:
    """A new account with a one-time password (shown once); it has no grants until one is made."""
    new = service.add_staff(work, email=data.email, name=data.name)
    return StaffCreated(staff=StaffPublic.of(new.staff), password=new.password)


@router.get("/staff/{staff_id}", response_model=StaffPublic)
def get_staff(staff_id: int, work: WorkDep, principal: Manager) -> StaffPublic:
    return StaffPublic.of(service.get_staff(work, staff_id))


@router.patch("/staff/{staff_id}", response_model=StaffPublic)
def update_staff(staff_id: int, data: StaffUpdate, work: WorkDep, principal: Manager) -> StaffPublic:
    """Rename, disable (ends every session at once) or enable an account."""
    staff = service.update_staff(work, staff_id, by=principal.staff_id, name=data.name, status=data.status)
    return StaffPublic.of(staff)


@router.post("/staff/{staff_id}/unlock", response_model=StaffPublic)
def unlock_staff(staff_id: int, work: WorkDep, principal: Manager) -> StaffPublic:
    return StaffPublic.of(service.unlock_staff(work, staff_id))


@router.get("/staff/{staff_id}/grants", response_model=list[GrantPublic])
def list_grants(staff_id: int, work: WorkDep, principal: Manager, include_ended: bool = False) -> list[GrantPublic]:
    service.get_staff(work, staff_id)
    now = work.clock.now()
    found = grant_rules.grants_of(work, staff_id, include_ended=include_ended)
    return [GrantPublic.of(g, now) for g in found]


@router.post("/staff/{staff_id}/grants", response_model=GrantPublic, status_code=201)
def add_grant(staff_id: int, data: GrantCreate, work: WorkDep, principal: Manager) -> GrantPublic:
    """Grant a role; `state` is "pending" when it needs a second member's approval before it gives anything."""
    made = service.grant(
        work, principal, staff_id=staff_id, role=data.role, scope=data.scope, expires_at=data.expires_at
    )
    return GrantPublic.of(made, work.clock.now())


@router.get("/grants/pending", response_model=list[GrantPublic])
def pending_grants(work: WorkDep, principal: Manager) -> list[GrantPublic]:
    """Proposed grants waiting for a second member's approval, oldest first."""
    now = work.clock.now()
    return [GrantPublic.of(g, now) for g in grant_rules.pending_grants(work)]


@router.post("/grants/{grant_id}/approve", response_model=GrantPublic)
def approve_grant(grant_id: int, work: WorkDep, principal: Manager) -> GrantPublic:
    """Approve a proposed grant: only a member who holds its role within its scope, neither its grantee nor
    its proposer, logged in (not with an API token). It takes effect now."""
    decided = service.approve(work, principal, grant_id)
    return GrantPublic.of(decided, work.clock.now())


@router.post("/grants/{grant_id}/reject", response_model=GrantPublic)
def reject_grant(grant_id: int, work: WorkDep, principal: Manager) -> GrantPublic:
    """Reject a proposed grant (its proposer withdraws it, or a member who could approve it turns it down)."""
    decided = service.reject(work, principal, grant_id)
    return GrantPublic.of(decided, work.clock.now())


@router.delete("/grants/{grant_id}", response_model=GrantPublic)
def revoke_grant(grant_id: int, work: WorkDep, principal: Manager) -> GrantPublic:
    """Revoke a grant (or withdraw a proposal); it stays on record with the time and who revoked it."""
    ended = service.revoke(work, grant_id, by=principal.staff_id)
    return GrantPublic.of(ended, work.clock.now())


@router.get("/roles", response_model=list[RolePublic])
def list_roles(work: WorkDep, principal: Manager) -> list[RolePublic]:
    return [
        RolePublic(name=name, description=description, permissions=sorted(permissions), built_in=built_in)
        for name, description, permissions, built_in in grant_rules.all_roles(work)
    ]


@router.post("/roles", response_model=RolePublic, status_code=201)
def add_role(data: RoleCreate, work: WorkDep, principal: Manager) -> RolePublic:
    """A custom role made of named permissions, each of which its author holds for "*"."""
    role = service.define_role(
        work, principal, name=data.name, description=data.description, permissions=data.permissions
    )
    return RolePublic(name=role.name, description=role.description, permissions=role.permissions, built_in=False)


@router.get("/staff/{staff_id}/tokens", response_model=list[TokenPublic])
def list_staff_tokens(staff_id: int, work: WorkDep, principal: Manager) -> list[TokenPublic]:
    service.get_staff(work, staff_id)
    return [TokenPublic.of(t) for t in tokens.tokens_of(work, staff_id)]


@router.delete("/staff/{staff_id}/tokens/{token_id}", response_model=TokenPublic)
def revoke_staff_token(staff_id: int, token_id: int, work: WorkDep, principal: Manager) -> TokenPublic:
    record = tokens.withdraw(work, token_id, by=principal.staff_id, owner_id=staff_id)
    return TokenPublic.of(record)


@router.get("/access-review", response_model=list[AccessReviewRow])
def review(work: WorkDep, principal: Manager) -> list[AccessReviewRow]:
    """Every live grant with what needs a look: unused, expiring soon, no second factor, duties combined."""
    return access_review(work)
