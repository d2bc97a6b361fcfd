"""What a selection asks for: subject categories, organisation roles, activities, and the use it serves."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from custos.errors import InvalidInput, Problem
from custos.policy import Policy
from custos.policy.findings import choice_hint

OrganisationRoleName = Literal["customer", "supplier", "partner"]


class Criteria(BaseModel):
    """Empty lists mean "any". `use` is the purpose the selection serves; only activities whose policy entry lists
    that use can contribute people (Art. 5(1)(b): the policy says contact data is used "in mailings, selections
    and simpler customer care analyses", so prospects, for whom it names no use, are never selected)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subject_categories: list[str] = Field(default_factory=list)
    organisation_roles: list[OrganisationRoleName] = Field(default_factory=list)
    activities: list[str] = Field(default_factory=list)
    use: Literal["mailings", "selections"] = "mailings"

    def check(self, policy: Policy) -> None:
        problems: list[Problem] = []
        subjects = [s.id for s in policy.subject_categories]
        activities = [a.id for a in policy.activities]
        for index, value in enumerate(self.subject_categories):
            if value not in subjects:
                problems.append(
                    Problem(
                        f"subject_categories[{index}]",
                        f"{value!r} is not in the policy",
                        hint=choice_hint(value, subjects, "subject categories"),
                    )
                )
        for index, value in enumerate(self.activities):
            if value not in activities:
                problems.append(
                    Problem(
                        f"activities[{index}]",
                        f"{value!r} is not in the policy",
                        hint=choice_hint(value, activities, "activities"),
                    )
                )
        if not any(self.use in a.uses for a in policy.activities):
            problems.append(Problem("use", f"no activity of the policy lists the use {self.use!r}"))
        if problems:
            raise InvalidInput("the selection's criteria do not fit the policy", problems)
