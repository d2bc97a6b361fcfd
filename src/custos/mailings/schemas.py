"""What the mailings API takes and gives, one schema per direction."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from custos.mailings.criteria import Criteria


class SelectionCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    criteria: Criteria = Field(default_factory=Criteria)


class SelectionPublic(BaseModel):
    id: int
    name: str
    criteria: Criteria
    created_at: datetime


class SelectionCountPublic(BaseModel):
    included: int
    excluded: dict[str, int] = Field(description="people left out, by the first reason that applies")


class MailingCreate(BaseModel):
    selection_id: int
    subject: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1)
    language: Literal["en", "sv"] = "en"


class MailingPublic(BaseModel):
    id: int
    selection_id: int
    subject: str
    status: str
    total: int
    done: dict[str, int]
