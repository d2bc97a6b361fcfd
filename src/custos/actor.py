"""Who is acting: every audited call names its actor, and the audit log keeps only this, never personal data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ActorKind = Literal["staff", "token", "cli", "system", "subject"]


@dataclass(frozen=True)
class Actor:
    """`id` is the staff or token id; `label` is a stable, non-personal name such as `staff:3` or `system:sweep`."""

    kind: ActorKind
    id: int | None
    label: str
    ip: str | None = None
    user_agent: str | None = None

    @staticmethod
    def system(job: str) -> Actor:
        return Actor(kind="system", id=None, label=f"system:{job}")
