"""What a check gets and what it reports: the day and policy it checks against, and one finding per record."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlalchemy.orm import Session

from custos.policy import Policy

# A system task may wait this long for its owner before the doctor reports it (Art. 12(3): a request's month
# must leave the owner time to act; retention's daily sweep means an erasure waiting a week is already late).
UNASSIGNED_DAYS = 7


@dataclass(frozen=True)
class InvariantContext:
    """The facts every check reads: the policy in force, the day (and instant) checked, and the thresholds."""

    policy: Policy
    on: date
    now: datetime
    unassigned_days: int = UNASSIGNED_DAYS


@dataclass(frozen=True)
class Finding:
    """One record that breaks an invariant, named without personal data (a person by ref, a grant by id)."""

    subject: str
    detail: str
    fix: str | None = None  # when the invariant's general fix is not precise enough


class Check(Protocol):
    def __call__(self, session: Session, ctx: InvariantContext) -> Iterable[Finding]: ...
