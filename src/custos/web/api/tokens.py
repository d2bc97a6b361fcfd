"""The caller's own API tokens for integrations (`tokens.create`): shown once, limited, expiring, revocable."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter

from custos.access import tokens
from custos.access.principal import Principal
from custos.access.schemas import TokenCreate, TokenCreated, TokenPublic
from custos.web.auth import Require, WorkDep

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])

Creator = Annotated[Principal, Require("tokens.create")]


@router.post("", response_model=TokenCreated, status_code=201)
def create_token(data: TokenCreate, work: WorkDep, principal: Creator) -> TokenCreated:
    """A token with some of the caller's own permissions. The token is in this answer only."""
    new = tokens.issue(
        work,
        principal,
        name=data.name,
        permissions=data.permissions,
        scope=data.scope,
        lifetime=timedelta(days=data.expires_in_days),
    )
    return TokenCreated(token=new.token, details=TokenPublic.of(new.record))


@router.get("", response_model=list[TokenPublic])
def list_tokens(work: WorkDep, principal: Creator) -> list[TokenPublic]:
    return [TokenPublic.of(t) for t in tokens.tokens_of(work, principal.staff_id)]


@router.delete("/{token_id}", response_model=TokenPublic)
def revoke_token(token_id: int, work: WorkDep, principal: Creator) -> TokenPublic:
    record = tokens.withdraw(work, token_id, by=principal.staff_id, owner_id=principal.staff_id)
    return TokenPublic.of(record)
