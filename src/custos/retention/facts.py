"""From register rows to `RetentionFacts`: the dated facts a retention rule counts from.

Organisation roles are read the same way as `register.organisations.has_role_on`/`role_ended_on` (a role
held on a day when its period covers that day), but over plain tuples, because a sweep reads them for
thousands of relationships at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from custos.policy.retention import RetentionFacts

# (role, started_on, ended_on) of one period of an organisation's role.
RoleSpan = tuple[str, date | None, date | None]


@dataclass(frozen=True, slots=True)
class RelationshipRow:
    id: int
    person_id: int
    subject_category: str
    activity: str
    organisation_id: int | None
    started_on: date | None
    ended_on: date | None
    last_interaction_on: date | None
    collected_on: date | None


def has_role_on(spans: Sequence[RoleSpan], role: str, on: date) -> bool:
    return any(r == role and (start is None or start <= on) and (end is None or end >= on) for r, start, end in spans)


def role_ended_on(spans: Sequence[RoleSpan], role: str, on: date) -> date | None:
    """When the last period of `role` ended, or None while it is held (or was never held).

    A period that starts after `on` (a contract signed for later) counts as held: never early.
    """
    mine = [(start, end) for r, start, end in spans if r == role]
    if has_role_on(spans, role, on) or any(start is not None and start > on for start, _ in mine):
        return None
    ends = [end for _, end in mine if end is not None]
    return max(ends) if ends else None


def facts_for(rel: RelationshipRow, spans: Sequence[RoleSpan], on: date, closing_role: str | None) -> RetentionFacts:
    """The facts of one relationship as they stand on `on` (an end dated after `on` has not happened yet)."""
    ended = rel.ended_on if rel.ended_on is not None and rel.ended_on <= on else None
    if not spans:  # no organisation, or one without roles: the common prospect, quickly
        return RetentionFacts(
            collected=rel.collected_on,
            relationship_started=rel.started_on,
            relationship_ended=ended,
            last_interaction=rel.last_interaction_on,
            financial_year_ended=_financial_year_ended(rel, ended, spans, on, None),
        )
    customer_until = role_ended_on(spans, "customer", on)
    supplier_until = role_ended_on(spans, "supplier", on)
    partner_until = role_ended_on(spans, "partner", on)
    return RetentionFacts(
        collected=rel.collected_on,
        relationship_started=rel.started_on,
        relationship_ended=ended,
        last_interaction=rel.last_interaction_on,
        customer_until=customer_until,
        supplier_until=supplier_until,
        partner_until=partner_until,
        financial_year_ended=_financial_year_ended(rel, ended, spans, on, closing_role),
        is_customer=has_role_on(spans, "customer", on),
        is_supplier=has_role_on(spans, "supplier", on),
        is_partner=has_role_on(spans, "partner", on),
    )


def _financial_year_ended(
    rel: RelationshipRow, ended: date | None, spans: Sequence[RoleSpan], on: date, closing_role: str | None
) -> date | None:
    """The end of the financial year of the relationship's last accounting record, once it is closed.

    The register holds no accounting records (invoices live in the finance system), so the last record is
    dated by the relationship's own facts: its end — or, for a contact of a supplier, partner or customer, the
    end of the organisation's role — or a later last interaction. ASSUMPTION: the financial year is the
    calendar year (the policy names no other); Bokföringslagen 7 kap. 2 § then keeps the records through
    the 7th calendar year after it. An open relationship still makes records, so it has no such date yet.
    """
    closed = ended
    if closed is None and closing_role is not None:
        closed = role_ended_on(spans, closing_role, on)
    if closed is None:
        return None
    last = max(closed, rel.last_interaction_on) if rel.last_interaction_on else closed
    return date(last.year, 12, 31)
