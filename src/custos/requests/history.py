"""What a request's history and results need to read as sentences: the names behind the ids they store.

Events and task results keep ids only (`staff:2`, a system id, a category id), never a name that could change
or be personal data in the log (Art. 5(2)); the pages put the names back when they are shown: staff members
by their name, systems, categories and activities by their titles in the policy.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from custos.access.models import Staff
from custos.work import Work


@dataclass(frozen=True)
class Names:
    staff: dict[int, str]
    staff_by_email: dict[str, str]
    systems: dict[str, str]
    categories: dict[str, str]
    activities: dict[str, str]

    def member(self, label: str) -> str | None:
        """The staff member an actor label names (`staff:2`, `cli:staff:2`, `staff:a@b`), or None."""
        key = label.removeprefix("cli:").removeprefix("staff:") if "staff:" in label else None
        if key is None:
            return None
        if key.isdigit():
            return self.staff.get(int(key))
        return self.staff_by_email.get(key.lower())

    def system(self, system_id: str) -> str:
        return self.systems.get(system_id, system_id)

    def category(self, category_id: str) -> str:
        return self.categories.get(category_id, category_id)

    def activity(self, activity_id: str) -> str:
        return self.activities.get(activity_id, activity_id)


def names(work: Work) -> Names:
    policy = work.policy
    members = list(work.session.execute(select(Staff.id, Staff.name, Staff.email)))
    return Names(
        staff={row.id: row.name for row in members},
        staff_by_email={row.email.lower(): row.name for row in members},
        systems={"register": "Custos", **{s.id: s.name for s in policy.systems}},
        categories={c.id: c.description for c in policy.data_categories},
        activities={a.id: a.name for a in policy.activities},
    )
