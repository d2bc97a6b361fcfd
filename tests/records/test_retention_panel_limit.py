"""When a sweep has not run for a long time, the dashboard's retention panel judges only the first
`PAST_DUE_LIMIT` people past due and says "at least", instead of walking the register on every page view."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from custos.actor import Actor
from custos.records import dashboard
from custos.register import people
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.runtime import Runtime


def _prospects(runtime: Runtime, n: int, last: date) -> None:
    with runtime.work(Actor.system("test")) as work:
        for i in range(n):
            people.add_person(
                work,
                PersonCreate(
                    name=f"Prospect {i}",
                    emails=[f"limit{i}@example.se"],
                    relationships=[RelationshipCreate(subject_category="prospect", last_interaction_on=last)],
                ),
            )


def test_past_the_limit_the_panel_says_at_least_and_the_horizons_stay_upper_bounds(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashboard, "PAST_DUE_LIMIT", 2)
    _prospects(runtime, 3, date(2012, 4, 1))  # due ten years on: long past
    with runtime.work(Actor.system("test")) as work:
        panel = dashboard.retention_panel(work)
    assert (panel.overdue, panel.overdue_more, panel.overdue_since) == (2, True, None)
    # "Up to" stays an upper bound: the one past due the walk did not judge is still counted there.
    assert panel.due == {30: 1, 90: 1}


def test_at_the_limit_the_count_is_exact(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dashboard, "PAST_DUE_LIMIT", 3)
    _prospects(runtime, 3, date(2012, 4, 1))
    with runtime.work(Actor.system("test")) as work:
        panel = dashboard.retention_panel(work)
    assert (panel.overdue, panel.overdue_more, panel.overdue_since) == (3, False, date(2022, 4, 1))


def test_the_dashboard_words_the_lower_bound(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashboard, "PAST_DUE_LIMIT", 2)
    _prospects(runtime, 3, date(2012, 4, 1))
    page = client.get("/admin").text
    assert "At least 2 people are past due: no sweep has erased them yet" in page
