"""The policy's retention rules, compiled once per sweep into what the engine asks per relationship.

Per activity: its retention rule (Art. 5(1)(e)), the data categories it processes, and the legal minimums of
those categories (`DataCategory.legal_retention`, Art. 17(3)(b), e.g. Bokföringslagen (1999:1078) 7 kap. 2 §).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from custos.policy import Policy
from custos.policy.models import SubjectKind
from custos.policy.retention import LegalRetention, RetentionFacts, RetentionRule, due_date

# The organisation role whose end closes a relationship of each kind of subject; used to date the end of the
# financial year in which the relationship's last accounting record was made.
ROLE_OF_KIND: dict[SubjectKind, str] = {
    SubjectKind.CUSTOMER_CONTACT: "customer",
    SubjectKind.SUPPLIER_CONTACT: "supplier",
    SubjectKind.PARTNER_CONTACT: "partner",
}

# Register fields that hold data of these policy categories. A trim removes a field once no relationship that
# is kept processes its category (Art. 5(1)(c) minimisation); a field whose category the policy does not
# declare is never touched, since nothing then says which purpose it serves.
FIELD_CATEGORIES: dict[str, str] = {"title": "contact.role", "email": "contact.email", "phone": "contact.phone"}


@dataclass(frozen=True)
class ActivityRules:
    activity: str
    rule: RetentionRule
    described: str
    categories: frozenset[str]
    legal: tuple[tuple[str, LegalRetention], ...]
    # For what an erasure keeps (custos.retention.keep): an activity on a legal obligation (Art. 6(1)(c)) keeps
    # its data, in its own systems, until its own retention falls due.
    legal_basis: str = ""
    law: str | None = None
    systems: tuple[str, ...] = ()


@dataclass(frozen=True)
class CompiledPolicy:
    activities: dict[str, ActivityRules]
    role_of_category: dict[str, str]
    declared_categories: frozenset[str]

    @staticmethod
    def of(policy: Policy) -> CompiledPolicy:
        activities: dict[str, ActivityRules] = {}
        for activity in policy.activities:
            data = policy.resolve_data(activity)
            activities[activity.id] = ActivityRules(
                activity=activity.id,
                rule=activity.retention,
                described=activity.retention.describe(),
                categories=frozenset(c.id for c in data),
                legal=tuple((c.id, c.legal_retention) for c in data if c.legal_retention is not None),
                legal_basis=str(activity.legal_basis),
                law=activity.law,
                systems=tuple(activity.systems),
            )
        roles = {c.id: ROLE_OF_KIND[c.kind] for c in policy.subject_categories if c.kind in ROLE_OF_KIND}
        return CompiledPolicy(
            activities=activities,
            role_of_category=roles,
            declared_categories=frozenset(c.id for c in policy.data_categories),
        )


def category_minimums(activity: ActivityRules, facts: RetentionFacts) -> list[tuple[str, LegalRetention, date | None]]:
    """Each legally kept category of the activity with the day its minimum runs out (None: cannot be dated)."""
    return [(category, rule, due_date(rule, facts)) for category, rule in activity.legal]


def still_kept(until: date | None, on: date) -> bool:
    """A minimum still runs on `on` until its due day; one that cannot be dated keeps (never early)."""
    return until is None or until > on
