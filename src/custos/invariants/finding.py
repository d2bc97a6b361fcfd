"""What a check gets and what it reports: the day and policy it checks against, and one finding per record."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Protocol

from custos.clock import today
from custos.policy import Policy
from custos.work import Work

if TYPE_CHECKING:
    from custos.runtime import Runtime


@dataclass(frozen=True)
class InvariantContext:
    """The facts every check reads: the policy in force, the day (and instant) checked, and the thresholds."""

    policy: Policy
    on: date
    now: datetime
    # How long a system task may stay open before it is late: the setting `system_task_days` (Art. 12(3): a
    # request's month must leave the owner time to act, and retention's daily sweep is late after a week).
    unassigned_days: int = 7

    @classmethod
    def of(cls, runtime: Runtime, on: date | None = None) -> InvariantContext:
        """As of today on the runtime's clock, or as of noon UTC on another day (`custos doctor --at`)."""
        if on is None:
            return cls(runtime.policy, today(runtime.clock), runtime.clock.now(), runtime.settings.system_task_days)
        return cls(runtime.policy, on, datetime.combine(on, time(12), tzinfo=UTC), runtime.settings.system_task_days)


@dataclass(frozen=True)
class Finding:
    """One record that breaks an invariant, named without personal data (a person by ref, a grant by id)."""

    subject: str
    detail: str
    fix: str | None = None  # when the invariant's general fix is not precise enough


class Check(Protocol):
    """Reads only: a check runs in the caller's unit, inside a savepoint of its own (see `doctor.examine`)."""

    def __call__(self, work: Work, ctx: InvariantContext) -> Iterable[Finding]: ...
