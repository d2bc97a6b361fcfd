"""What register services need besides a database session: keys, the policy, and the clock."""

from __future__ import annotations

from dataclasses import dataclass

from custos.clock import Clock
from custos.crypto import KeyRing
from custos.errors import InvalidInput, Problem
from custos.policy import Policy


@dataclass(frozen=True)
class RegisterContext:
    keys: KeyRing
    policy: Policy
    clock: Clock

    def resolve_activity(self, subject_category: str, activity: str | None, where: str) -> tuple[str, str]:
        """The activity and its legal basis for a relationship; only what the policy declares is allowed.

        Art. 5(1)(b): data may only be held for a purpose the organisation has stated.
        """
        known = {c.id for c in self.policy.subject_categories}
        if subject_category not in known:
            raise InvalidInput(
                f"unknown subject category {subject_category!r}",
                [
                    Problem(
                        f"{where}.subject_category",
                        f"{subject_category!r} is not in the policy",
                        hint=f"use one of: {', '.join(sorted(known))}",
                    )
                ],
            )
        candidates = [a for a in self.policy.activities if subject_category in a.subjects]
        if activity is None:
            if len(candidates) != 1:
                names = ", ".join(a.id for a in candidates) or "none"
                raise InvalidInput(
                    f"say which activity the {subject_category} relationship belongs to",
                    [
                        Problem(
                            f"{where}.activity",
                            f"the policy has {len(candidates)} activities for {subject_category} ({names})",
                            hint="set activity",
                        )
                    ],
                )
            chosen = candidates[0]
        else:
            matches = [a for a in candidates if a.id == activity]
            if not matches:
                names = ", ".join(a.id for a in candidates) or "none"
                raise InvalidInput(
                    f"activity {activity!r} does not cover {subject_category}",
                    [
                        Problem(
                            f"{where}.activity",
                            f"{activity!r} is not a policy activity for {subject_category}",
                            hint=f"use one of: {names}",
                        )
                    ],
                )
            chosen = matches[0]
        return chosen.id, str(chosen.legal_basis)
