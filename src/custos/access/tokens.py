"""API tokens for integrations: shown once, stored as a SHA-256 digest, limited to named permissions and a
scope, expiring, revocable, and noting their last use.

A token can never do more than its owner: it is created only with permissions the owner holds, and each use
is checked again against the owner's grants of that day, so revoking a grant or disabling the owner also
disarms their tokens (Art. 32(4)).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.access.models import ApiToken, Staff
from custos.access.permissions import PERMISSIONS, valid_scopes
from custos.access.principal import HeldGrant, Principal, holds
from custos.audit import Action
from custos.errors import InvalidInput, NotFound, PermissionDenied, Problem
from custos.work import Work

PREFIX = "cst_"
DEFAULT_LIFETIME = timedelta(days=90)
MAX_LIFETIME = timedelta(days=366)


@dataclass(frozen=True)
class NewToken:
    token: str  # shown once, never stored
    record: ApiToken


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    work: Work,
    *,
    owner_id: int,
    owner_grants: tuple[HeldGrant, ...],
    name: str,
    permissions: list[str],
    scope: str,
    lifetime: timedelta | None,
) -> NewToken:
    policy, now = work.policy, work.clock.now()
    problems: list[Problem] = []
    unknown = sorted(set(permissions) - set(PERMISSIONS))
    if unknown:
        problems.append(Problem("permissions", f"unknown: {', '.join(unknown)}"))
    if not permissions:
        problems.append(Problem("permissions", "name at least one permission"))
    if "tokens.create" in permissions:
        problems.append(Problem("permissions", "a token cannot create tokens"))
    if scope not in valid_scopes(policy):
        problems.append(Problem("scope", f"unknown scope {scope!r}"))
    lifetime = lifetime or DEFAULT_LIFETIME
    if not timedelta(0) < lifetime <= MAX_LIFETIME:
        problems.append(Problem("expires_in_days", f"between 1 and {MAX_LIFETIME.days} days"))
    if not name.strip():
        problems.append(Problem("name", "name the token after the integration that uses it"))
    if problems:
        raise InvalidInput("the token is not valid", problems)
    missing = [p for p in permissions if not holds(owner_grants, p, scope, policy)]
    if missing:
        raise PermissionDenied(f"You cannot give a token what you do not hold: {', '.join(sorted(missing))}.")
    token = PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        name=name.strip(),
        prefix=token[: len(PREFIX) + 6],
        token_hash=digest(token),
        owner_id=owner_id,
        permissions=sorted(set(permissions)),
        scope=scope,
        created_at=now,
        expires_at=now + lifetime,
    )
    work.session.add(record)
    work.session.flush()
    return NewToken(token=token, record=record)


def live_token(session: Session, now: datetime, token: str) -> tuple[ApiToken, Staff] | None:
    """The token and its owner, if both are live; notes its use. It resolves who acts
    (`custos.access.identify`), before there is a unit of work with an actor, so it takes a session."""
    record = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
    if record is None or record.revoked_at is not None or now >= record.expires_at:
        return None
    owner = session.get(Staff, record.owner_id)
    if owner is None or owner.status != "active":
        return None
    record.last_used_at = now
    return record, owner


def tokens_of(work: Work, owner_id: int) -> list[ApiToken]:
    return list(work.session.scalars(select(ApiToken).where(ApiToken.owner_id == owner_id).order_by(ApiToken.id)))


def issue(
    work: Work,
    principal: Principal,
    *,
    name: str,
    permissions: list[str],
    scope: str,
    lifetime: timedelta | None,
) -> NewToken:
    """A new token owned by the principal, audited; the caller shows `token` once."""
    new = create_token(
        work,
        owner_id=principal.staff_id,
        owner_grants=principal.grants,
        name=name,
        permissions=permissions,
        scope=scope,
        lifetime=lifetime,
    )
    work.audit(
        Action.TOKEN_CREATE,
        target=f"token:{new.record.id}",
        details={
            "permissions": new.record.permissions,
            "scope": scope,
            "expires_at": new.record.expires_at.isoformat(),
        },
    )
    return new


def withdraw(work: Work, token_id: int, *, by: int | None, owner_id: int | None) -> ApiToken:
    """Revoke a token; with `owner_id`, only that owner's (self-service), otherwise any (staff.manage)."""
    record = work.session.get(ApiToken, token_id)
    if record is None or (owner_id is not None and record.owner_id != owner_id):
        raise NotFound(f"no token with id {token_id}")
    if record.revoked_at is None:
        record.revoked_at = work.clock.now()
        record.revoked_by_id = by
    work.audit(Action.TOKEN_REVOKE, target=f"token:{record.id}")
    return record
