"""Property (issue 13 item 11): over random registers of prospects, the dashboard reports everyone already past
due as past due, with the earliest day, and never as someone who "may fall due" later; and the number the dry
run asks to confirm is the number the sweep then erases."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custos.actor import Actor
from custos.clock import today
from custos.records.dashboard import retention_panel
from custos.register import people
from custos.register.people import count_people
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.retention.preview import preview_sweep
from custos.retention.sweep import run_sweep
from custos.runtime import Runtime

ACTOR = Actor.system("test")
NUMBERS = count(1)
TODAY = date(2026, 11, 29)  # the conftest's fixed clock
# Days from today to each prospect's due day (ten years after the last interaction, the example policy); a due
# day of 29 February has no day ten years before it, so none is drawn.
offsets = st.lists(
    st.integers(min_value=-4000, max_value=200).filter(
        lambda d: (TODAY + timedelta(days=d)).strftime("%m%d") != "0229"
    ),
    max_size=12,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(due_in=offsets)
def test_past_due_people_are_reported_as_past_due_and_the_confirmed_number_is_what_a_sweep_erases(
    runtime: Runtime, due_in: list[int]
) -> None:
    start = today(runtime.clock)
    assert start == TODAY
    with runtime.work(ACTOR) as work:
        for shift in due_in:
            due = start + timedelta(days=shift)
            last = due.replace(year=due.year - 10)
            n = next(NUMBERS)
            people.add_person(
                work,
                PersonCreate(
                    name=f"Prospect {n}",
                    emails=[f"p{n}@example.se"],
                    relationships=[
                        RelationshipCreate(
                            subject_category="prospect", collected_on=last, last_interaction_on=last, source="Fair"
                        )
                    ],
                ),
            )
    with runtime.work(ACTOR) as work:
        panel = retention_panel(work)
        registered = count_people(work)  # earlier examples' people not yet due are still here
        preview = preview_sweep(work, limit=0)
    past = [shift for shift in due_in if shift < 0]
    assert panel.overdue == len(past)
    if past:
        assert panel.overdue_since == start + timedelta(days=min(past))
    else:
        assert panel.overdue_since is None
    # Those due from today on are still counted ("up to", a prefilter); those past due are apart, not in it.
    assert panel.due[30] >= sum(1 for shift in due_in if 0 <= shift <= 30)
    assert panel.due[90] >= sum(1 for shift in due_in if 0 <= shift <= 90)
    assert panel.due[90] <= registered - panel.overdue
    # The dry run's number is everyone due today (past due included); the sweep erases exactly them.
    assert preview.people == sum(1 for shift in due_in if shift <= 0)
    (report,) = run_sweep(runtime, ACTOR, trigger="cli")
    assert report.erased + report.trimmed == preview.people
