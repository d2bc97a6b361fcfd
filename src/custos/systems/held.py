"""What a system holds, as the policy says: the data categories an owner's task names and a kept category
is looked for in."""

from __future__ import annotations

from custos.policy import Policy
from custos.policy.models import System


def categories_for(policy: Policy, system: System) -> list[str]:
    """The data categories the policy places in the system: its own list, else its activities' data."""
    if system.categories:
        return list(system.categories)
    found: dict[str, None] = {}
    for activity in policy.activities:
        if system.id in activity.systems:
            found.update((category.id, None) for category in policy.resolve_data(activity))
    return list(found)
