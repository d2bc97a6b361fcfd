"""The promise of the incident form's clock, over random aware times (Art. 33(1)): whatever instant a DPO types on
the organisation's clock — in the hours around the changes to and from summer time included — the incident
stores that instant, the page shows the same instant back on the same clock, and the deadline it shows is
exactly 72 hours later (counted in hours, so a night with 23 or 25 hours moves the clock's reading, not the
instant). A local time the clock skips or shows twice, typed without its offset, is refused next to the field."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custos.actor import Actor
from custos.incidents import service
from custos.jurisdiction import format_in
from custos.runtime import Runtime

ZONE = ZoneInfo("Europe/Stockholm")  # the example policy's organisation.timezone
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)  # the conftest's fixed clock
# The changes of the clock in Stockholm (01:00 UTC on the last Sunday of March and of October).
CHANGES = [
    datetime(y, m, d, 1, 0, tzinfo=UTC) for y, m, d in ((2025, 3, 30), (2025, 10, 26), (2026, 3, 29), (2026, 10, 25))
]
FORM = {"summary": "Lost laptop", "reported_by": "IT", "kind-confidentiality": "1", "role": "controller"}

near_a_change = st.builds(
    lambda change, minutes: change + timedelta(minutes=minutes),
    st.sampled_from(CHANGES),
    st.integers(min_value=-6 * 60, max_value=6 * 60),
)
any_time = st.integers(min_value=0, max_value=int((NOW - datetime(2025, 1, 1, tzinfo=UTC)).total_seconds() // 60)).map(
    lambda minutes: NOW - timedelta(minutes=minutes)
)

READER = Actor.system("test")


def typed(instant: datetime) -> str:
    """As a DPO types it: the wall time in Stockholm; with its offset where that wall time happens twice."""
    local = instant.astimezone(ZONE)
    other = local.replace(fold=1 - local.fold)
    if other.utcoffset() != local.utcoffset():
        offset = local.strftime("%z")
        return f"{local:%Y-%m-%dT%H:%M}{offset[:3]}:{offset[3:]}"
    return f"{local:%Y-%m-%dT%H:%M}"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(aware=st.one_of(near_a_change, any_time))
def test_the_page_shows_the_stored_instant_and_exactly_72_hours_after_it(
    client: TestClient, runtime: Runtime, aware: datetime
) -> None:
    opened = client.post("/admin/incidents/new", data={**FORM, "aware_at": typed(aware)}, follow_redirects=False)
    assert opened.status_code == 303, opened.text
    incident_id = int(opened.headers["location"].split("/")[-1].split("?")[0])
    with runtime.work(READER) as work:
        stored = service.get_incident(work, incident_id)
    assert stored.aware_at == aware
    deadline = aware + timedelta(hours=72)
    assert stored.deadline == deadline
    page = client.get(f"/admin/incidents/{incident_id}").text
    shown = re.search(r"<dt>Aware since</dt><dd>([^<]*)</dd>", page)
    assert shown is not None
    assert shown.group(1) == format_in(aware, ZONE)
    assert f'<time datetime="{deadline.isoformat()}" id="deadline">{format_in(deadline, ZONE)}</time>' in page
    clock = re.search(r'data-seconds="(-?\d+)".*?<time class="countdown-text" datetime="([^"]+)"', page, re.S)
    assert clock is not None
    assert (int(clock.group(1)), clock.group(2)) == (int((deadline - NOW).total_seconds()), deadline.isoformat())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=st.sampled_from(CHANGES), minute=st.integers(min_value=0, max_value=59))
def test_a_skipped_or_doubled_local_time_is_refused_at_the_field(
    client: TestClient, runtime: Runtime, change: datetime, minute: int
) -> None:
    # 02:00–02:59 on the night of a change: skipped in spring, shown twice in autumn.
    local = change.astimezone(ZONE).strftime("%Y-%m-%d") + f"T02:{minute:02d}"
    refused = client.post("/admin/incidents/new", data={**FORM, "aware_at": local})
    assert refused.status_code == 422
    error = re.search(r'<p class="field-error" id="f-aware_at-error">([^<]*)</p>', refused.text)
    assert error is not None
    assert ("does not exist" if change.month == 3 else "happens twice") in error.group(1)
    with runtime.work(READER) as work:
        assert service.list_incidents(work) == []
