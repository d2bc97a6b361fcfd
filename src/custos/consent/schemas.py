"""What the consent endpoints take and give, one schema per direction."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from custos.consent.service import AskReason, Kind, Method


class ConsentCreate(BaseModel):
    # Strict: a typo in a key or "yes" for true is an error the banner's author should see, not a guess.
    model_config = ConfigDict(extra="forbid")

    choices: dict[str, StrictBool] = Field(max_length=20, description="category id -> consent given")
    method: Method = Field(description="banner, settings or gpc")


class ConsentRecordPublic(BaseModel):
    id: str
    visitor_id: str
    at: datetime
    policy_version: date
    policy_hash: str
    inventory_hash: str
    choices: dict[str, bool]
    kind: Kind
    method: Method
    gpc: bool
    expires_at: datetime
    ua_family: str | None


class ConsentStatePublic(BaseModel):
    choices: dict[str, bool] = Field(description="what may run now; all false while the visitor must be asked")
    ask: bool = Field(description="show the banner: first visit, expired, or the policy or cookie list changed")
    reason: AskReason | None
    kind: Kind | None
    decided_at: datetime | None
    expires_at: datetime | None
    decided_version: date | None
    version: date = Field(description="the policy version in force")
    gpc: bool = Field(description="the request carried Sec-GPC: 1 and the policy honours it")


class ConsentHistory(BaseModel):
    items: list[ConsentRecordPublic]
