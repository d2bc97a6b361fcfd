"""What register services need besides a database session: keys, the policy, and the clock."""

from __future__ import annotations

from dataclasses import dataclass

from custos.clock import Clock
from custos.crypto import KeyRing
from custos.policy import Policy
from custos.register.lawful import resolve_activity


@dataclass(frozen=True)
class RegisterContext:
    keys: KeyRing
    policy: Policy
    clock: Clock

    def resolve_activity(self, subject_category: str, activity: str | None, where: str) -> tuple[str, str]:
        return resolve_activity(self.policy, subject_category, activity, where)
