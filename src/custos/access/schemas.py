"""Access-control schemas, one per direction: what callers send (`*Create`, `*Update`) and get (`*Public`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from custos.access.grants import grant_state
from custos.access.models import ApiToken, Grant, Staff


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class StaffCreate(_In):
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    name: str = Field(min_length=1, max_length=200)


class StaffUpdate(_In):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    status: Literal["active", "disabled"] | None = None


class StaffPublic(BaseModel):
    id: int
    email: str
    name: str
    status: str
    created_at: datetime
    last_login_at: datetime | None
    locked_until: datetime | None
    totp_enrolled: bool
    must_change_password: bool

    @staticmethod
    def of(staff: Staff) -> StaffPublic:
        return StaffPublic(
            id=staff.id,
            email=staff.email,
            name=staff.name,
            status=staff.status,
            created_at=staff.created_at,
            last_login_at=staff.last_login_at,
            locked_until=staff.locked_until,
            totp_enrolled=staff.totp_enabled_at is not None,
            must_change_password=staff.must_change_password,
        )


class StaffCreated(BaseModel):
    staff: StaffPublic
    password: str = Field(description="One-time password, shown once; it must be changed at first login.")


class GrantCreate(_In):
    role: str
    scope: str = Field(description='"*", "custos" (the register and Custos itself), a policy system or environment')
    expires_at: datetime | None = None


GrantState = Literal["active", "pending", "lapsed", "rejected", "revoked", "expired"]


class GrantPublic(BaseModel):
    id: int
    staff_id: int
    role: str
    scope: str
    state: GrantState = Field(
        description="active: in force; pending: proposed, gives nothing until a second member approves it "
        "before pending_until; lapsed: not approved in time; rejected, revoked, expired: ended"
    )
    approval: str = Field(
        description="not_required (within the granter's own grants, no personal data), required (four eyes: "
        "decided_by_id decides), bootstrap (custos init's first grant) or unrecorded (made before four eyes)"
    )
    granted_by_id: int | None = Field(description="Who granted it, or proposed it when it needed approval.")
    granted_at: datetime
    expires_at: datetime | None
    pending_until: datetime | None
    decided_by_id: int | None = Field(description="Who approved or rejected it.")
    decided_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @staticmethod
    def of(grant: Grant, now: datetime) -> GrantPublic:
        return GrantPublic.model_validate(
            {**{k: getattr(grant, k) for k in _GRANT_FIELDS}, "state": grant_state(grant, now)}
        )


_GRANT_FIELDS = tuple(name for name in GrantPublic.model_fields if name != "state")


class RoleCreate(_In):
    name: str
    description: str = Field(default="", max_length=300)
    permissions: list[str]


class RolePublic(BaseModel):
    name: str
    description: str
    permissions: list[str]
    built_in: bool


class TokenCreate(_In):
    name: str = Field(min_length=1, max_length=120)
    permissions: list[str]
    scope: str
    expires_in_days: int = Field(default=90, ge=1, le=366)


class TokenPublic(BaseModel):
    id: int
    name: str
    prefix: str
    owner_id: int
    permissions: list[str]
    scope: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @staticmethod
    def of(token: ApiToken) -> TokenPublic:
        return TokenPublic.model_validate(token, from_attributes=True)


class TokenCreated(BaseModel):
    token: str = Field(description="Shown once; Custos keeps only its digest.")
    details: TokenPublic
