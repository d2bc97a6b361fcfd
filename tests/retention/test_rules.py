"""Each retention rule of the example policy, on fixed dates: kept the day before it is due, erased on the day.

Dates include a leap day (2016-02-29 + P10Y = 2026-02-28), month ends, and Bokföringslagen's year-end rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from retention_helpers import exists, tombstones

from conftest import AddOrganisation, AddPerson, SweepOn
from custos.runtime import Runtime

# name -> (setup(add_org) -> relationships, due date, activity)
Setup = Callable[[AddOrganisation], list[dict[str, Any]]]
CASES: dict[str, tuple[Setup, date, str]] = {
    # while the organisation is a customer, then P10Y from the end: ended on a leap day
    "customer contact": (
        lambda org: [
            {"subject_category": "customer_contact",
             "organisation_id": org(customer=(date(2009, 1, 1), date(2016, 2, 29)))}
        ],
        date(2026, 2, 28),
        "customer-contacts",
    ),
    # The organisation is still a customer, the person's own role ended on a leap day: one year (contact_ended)
    "former contact of a current customer": (
        lambda org: [
            {"subject_category": "customer_contact", "organisation_id": org(customer=(date(2009, 1, 1), None)),
             "started_on": date(2012, 1, 1), "ended_on": date(2016, 2, 29)}
        ],
        date(2017, 2, 28),
        "customer-contacts",
    ),
    # P10Y from the last interaction, on a month end
    "prospect": (
        lambda org: [{"subject_category": "prospect", "last_interaction_on": date(2016, 3, 31)}],
        date(2026, 3, 31),
        "prospects",
    ),
    "employment": (
        lambda org: [
            {"subject_category": "employee", "activity": "employment", "started_on": date(2010, 5, 1),
             "ended_on": date(2016, 2, 29)}
        ],
        date(2026, 2, 28),
        "employment",
    ),
    "employer taxes": (
        lambda org: [
            {"subject_category": "employee", "activity": "taxes-and-fees", "started_on": date(2012, 1, 1),
             "ended_on": date(2015, 8, 31)}
        ],
        date(2025, 8, 31),
        "taxes-and-fees",
    ),
    "supplier contact": (
        lambda org: [
            {"subject_category": "supplier_contact", "activity": "supplier-contacts",
             "organisation_id": org(supplier=(date(2012, 1, 1), date(2015, 12, 31)))}
        ],
        date(2025, 12, 31),
        "supplier-contacts",
    ),
    "partner contact": (
        lambda org: [
            {"subject_category": "partner_contact", "activity": "partner-contacts",
             "organisation_id": org(partner=(date(2011, 1, 1), date(2014, 6, 30)))}
        ],
        date(2024, 6, 30),
        "partner-contacts",
    ),
    # Bokföringslagen 7 kap. 2 §: through the 7th year after the end of the calendar year of the last record
    "bookkeeping": (
        lambda org: [
            {"subject_category": "employee", "activity": "bookkeeping", "started_on": date(2010, 1, 1),
             "ended_on": date(2017, 5, 31)}
        ],
        date(2025, 1, 1),
        "bookkeeping",
    ),
    # P365D from collection, across 2024's leap day
    "web analytics": (
        lambda org: [{"subject_category": "website_visitor", "collected_on": date(2024, 2, 29)}],
        date(2025, 2, 28),
        "web-analytics",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_rule_erases_on_its_due_date_and_never_before(
    name: str, runtime: Runtime, add_org: AddOrganisation, add_person: AddPerson, sweep_on: SweepOn
) -> None:
    setup, due, activity = CASES[name]
    ref = add_person(f"{name.replace(' ', '.')}@example.se", setup(add_org))
    report = sweep_on(due - timedelta(days=1))
    assert exists(runtime, ref), f"{name}: erased a day early"
    assert report.erased == 0
    report = sweep_on(due)
    assert not exists(runtime, ref), f"{name}: still there on its due date"
    assert report.erased == 1
    (stone,) = tombstones(runtime, ref)
    assert (stone.action, stone.state, stone.as_of) == ("erase", "erased", due)
    (entry,) = stone.entries
    assert entry["activity"] == activity
    assert entry["due_on"] == due.isoformat()
    assert entry["rule"]
    assert stone.counts["register"]["person"] == 1
    assert stone.counts["register"]["identities"] == 1
