"""The requests queue as staff work it: filters that combine and stay in the address, pages, the audited CSV,
and bulk assignment (confirmed with the number, all or nothing, refusals named with their reason)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from custos.access.models import Staff
from custos.actor import Actor
from custos.audit.models import AuditEvent
from custos.requests import cases, queue
from custos.requests.models import SubjectRequest, SubjectRequestEvent
from custos.requests.schemas import RequestCreate, RequestSummary
from custos.runtime import Runtime
from staff_login import StaffLogin

LoginAs = Callable[..., TestClient]
StaffFactory = Callable[..., StaffLogin]
STAFF = Actor(kind="staff", id=1, label="staff:1")


def _make(runtime: Runtime, kind: str = "access", days_ago: int = 10, email: str = "anna@example.se") -> str:
    data = RequestCreate(
        kind=kind,  # type: ignore[arg-type]
        email=email,
        received_at=runtime.clock.now() - timedelta(days=days_ago),
    )
    with runtime.work(STAFF) as work:
        req, _ = cases.create(work, data, channel="staff")
        return req.ref


def _shown(html: str) -> set[str]:
    return set(re.findall(r'<tr id="request-(DSR-[A-Z0-9]{8})"', html))


def _summaries(runtime: Runtime) -> dict[str, RequestSummary]:
    with runtime.work(STAFF) as work:
        return {r.ref: r for r in cases.list_requests(work)}


def _close(runtime: Runtime, ref: str) -> None:
    with runtime.work(STAFF) as work:
        cases.withdraw(work, ref, "test")


@pytest.fixture
def spread(runtime: Runtime) -> dict[str, str]:
    """Requests at different days left (the fixed day is Sunday 2026-11-29)."""
    return {
        "overdue": _make(runtime, "erasure", days_ago=45),
        "two": _make(runtime, "access", days_ago=28),
        "four": _make(runtime, "access", days_ago=26),
        "later": _make(runtime, "erasure", days_ago=5),
        "closed": _make(runtime, "access", days_ago=20),
    }


def test_the_days_left_filters_follow_the_deadline_rule(
    client: TestClient, runtime: Runtime, spread: dict[str, str]
) -> None:
    _close(runtime, spread["closed"])
    rows = _summaries(runtime)
    rule = {
        "overdue": lambda d: d < 0,
        "3": lambda d: 0 <= d <= 3,
        "7": lambda d: 0 <= d <= 7,
        "later": lambda d: d > 7,
    }
    for key, keeps in rule.items():
        expected = {ref for ref, r in rows.items() if r.state not in ("withdrawn",) and keeps(r.days_left)}
        page = client.get(f"/admin/requests?days={key}")
        assert page.status_code == 200
        assert _shown(page.text) == expected, key
    assert spread["overdue"] in _shown(client.get("/admin/requests?days=overdue").text)
    assert spread["closed"] not in _shown(client.get("/admin/requests?days=later").text)
    # The earlier "only overdue" link still works.
    assert _shown(client.get("/admin/requests?overdue=1").text) == _shown(
        client.get("/admin/requests?days=overdue").text
    )


def test_filters_combine_and_stay_in_the_address(
    login_as: LoginAs, staff_factory: StaffFactory, runtime: Runtime, spread: dict[str, str]
) -> None:
    member = staff_factory("privacy_officer")
    web = login_as(staff=member)
    with runtime.work(STAFF) as work:
        cases.assign(work, spread["two"], member.id)
        cases.assign(work, spread["later"], member.id)
    assert _shown(web.get("/admin/requests?assignee=mine").text) == {spread["two"], spread["later"]}
    assert _shown(web.get("/admin/requests?assignee=mine&kind=erasure").text) == {spread["later"]}
    assert _shown(web.get("/admin/requests?assignee=mine&days=3").text) == {spread["two"]}
    unassigned = web.get("/admin/requests?assignee=none")
    assert _shown(unassigned.text) == {spread["overdue"], spread["four"], spread["closed"]}
    assert _shown(web.get(f"/admin/requests?assignee={member.id}&kind=access").text) == {spread["two"]}
    page = web.get("/admin/requests?kind=erasure&days=overdue")
    assert _shown(page.text) == {spread["overdue"]}
    assert "1 request, sorted by due date" in page.text
    # The chosen filters are selected in the form, and the CSV link carries them.
    assert '<option value="erasure" selected>' in page.text
    assert '<option value="overdue" selected>' in page.text
    assert 'href="/admin/requests/export.csv?kind=erasure&amp;days=overdue"' in page.text
    # Nothing matches: the empty state says what to do.
    nothing = web.get("/admin/requests?kind=portability")
    assert 'id="queue-empty"' in nothing.text
    assert "Change or clear the filters" in nothing.text
    # An unknown value is dropped, not an error.
    assert web.get("/admin/requests?days=soon&state=nonsense").status_code == 200


def test_the_queue_pages_through_and_counts_in_words(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    refs = [_make(runtime, days_ago=d) for d in range(1, 8)]
    monkeypatch.setattr(queue, "PAGE_SIZE", 3)
    first = client.get("/admin/requests?kind=access")
    assert len(_shown(first.text)) == 3
    assert "7 requests, sorted by due date" in first.text
    assert 'rel="next"' in first.text
    assert 'rel="prev"' not in first.text
    assert 'href="/admin/requests?kind=access&amp;offset=3#queue-heading"' in first.text
    second = client.get("/admin/requests?kind=access&offset=3")
    third = client.get("/admin/requests?kind=access&offset=6")
    seen = _shown(first.text) | _shown(second.text) | _shown(third.text)
    assert seen == set(refs)
    assert 'rel="next"' not in third.text


def test_the_csv_export_is_audited_and_names_no_subject(
    client: TestClient, runtime: Runtime, spread: dict[str, str]
) -> None:
    response = client.get("/admin/requests/export.csv?kind=erasure")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["ref"] for r in rows} == {spread["overdue"], spread["later"]}
    assert {r["kind"] for r in rows} == {"erasure"}
    assert "anna@example.se" not in response.text
    with runtime.db.transaction() as session:
        (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "request.export")).all()
        assert '"count": 2' in event.details_json or '"count":2' in event.details_json
        assert "erasure" in event.details_json


def test_the_export_needs_requests_manage(login_as: LoginAs) -> None:
    assert login_as("support_agent").get("/admin/requests/export.csv").status_code == 403
    assert login_as("auditor").get("/admin/requests/export.csv").status_code == 403


def _bulk(web: TestClient, refs: list[str], staff_id: int | str, **extra: str) -> Any:
    form = {f"ref-{i}": ref for i, ref in enumerate(refs, start=1)} | {"staff_id": str(staff_id)} | extra
    return web.post("/admin/requests/bulk-assign", data=form, follow_redirects=False)


def _assignees(runtime: Runtime) -> dict[str, int | None]:
    with runtime.db.transaction() as session:
        return {
            row.ref: row.assignee_id for row in session.execute(select(SubjectRequest.ref, SubjectRequest.assignee_id))
        }


def test_bulk_assignment_asks_with_the_number_then_assigns_each_with_its_audit(
    client: TestClient, staff_factory: StaffFactory, runtime: Runtime, spread: dict[str, str]
) -> None:
    member = staff_factory("privacy_officer")
    chosen = [spread["overdue"], spread["two"], spread["four"]]
    asked = _bulk(client, chosen, member.id, back="kind=access&evil=1")
    assert asked.status_code == 200
    assert "Assign 3 requests to Test privacy_officer?" in asked.text
    assert all(a is None for a in _assignees(runtime).values())  # nothing yet
    done = _bulk(client, chosen, member.id, confirm="1", back="kind=access&evil=1")
    assert done.status_code == 303
    location = done.headers["location"]
    assert location.startswith("/admin/requests?done=assigned&n=3&kind=access")
    assert "evil" not in location
    assert client.get(location).text.count("3 requests are assigned.") == 1
    held = _assignees(runtime)
    assert {ref for ref, a in held.items() if a == member.id} == set(chosen)
    with runtime.db.transaction() as session:
        audited = session.scalars(select(AuditEvent.target).where(AuditEvent.action == "request.assigned")).all()
    assert sorted(audited) == sorted(f"request:{ref}" for ref in chosen)
    # And back: unassign one.
    undone = _bulk(client, [spread["two"]], "", confirm="1")
    assert undone.status_code == 303
    assert _assignees(runtime)[spread["two"]] is None
    assert "The assignee of 1 request is removed." in client.get(undone.headers["location"]).text


def test_a_finished_request_is_refused_with_its_reason_and_nothing_is_assigned(
    client: TestClient, staff_factory: StaffFactory, runtime: Runtime, spread: dict[str, str]
) -> None:
    member = staff_factory("privacy_officer")
    _close(runtime, spread["closed"])
    chosen = [spread["two"], spread["closed"], "DSR-NOSUCH00"]
    asked = _bulk(client, chosen, member.id)
    assert asked.status_code == 200
    page = asked.text
    assert "2 requests cannot be assigned" in page
    assert f'id="refused-{spread["closed"]}"' in page
    assert "it is finished (Withdrawn)" in page
    assert "there is no such request" in page
    assert "Assign 1 request to Test privacy_officer?" in page
    # The request was finished between the two steps: the confirmed form is refused whole.
    refused = _bulk(client, chosen, member.id, confirm="1")
    assert refused.status_code == 409
    assert "Nothing was assigned" in refused.text
    assert all(a is None for a in _assignees(runtime).values())
    # An inactive or unknown assignee is named at its field.
    wrong = _bulk(client, [spread["two"]], 9999)
    assert wrong.status_code == 422
    assert "active staff member" in wrong.text
    none = _bulk(client, [], member.id)
    assert none.status_code == 422


def test_select_all_on_the_page_works_without_the_script(
    client: TestClient, staff_factory: StaffFactory, runtime: Runtime, spread: dict[str, str]
) -> None:
    member = staff_factory("privacy_officer")
    queue_page = client.get("/admin/requests?kind=erasure").text
    found = re.search(r'name="page_refs" value="([^"]*)"', queue_page)
    assert found
    assert set(found.group(1).split(",")) == {spread["overdue"], spread["later"]}
    form = {"all_on_page": "1", "page_refs": found.group(1), "staff_id": str(member.id), "confirm": "1"}
    assert client.post("/admin/requests/bulk-assign", data=form, follow_redirects=False).status_code == 303
    assert {r for r, a in _assignees(runtime).items() if a is not None} == {spread["overdue"], spread["later"]}
    assert 'data-select-all="bulk-form"' in queue_page
    assert '<script src="/static/select_all.js" defer></script>' in queue_page


def test_bulk_assignment_needs_requests_manage(login_as: LoginAs, runtime: Runtime) -> None:
    ref = _make(runtime)
    agent = login_as("support_agent")
    assert _bulk(agent, [ref], "").status_code == 403


# -- the promise: all or nothing -----------------------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    picks=st.lists(st.sampled_from(["open", "closed", "unknown"]), min_size=1, max_size=8),
    unassign=st.booleans(),
)
def test_bulk_assignment_is_all_or_nothing(runtime: Runtime, picks: list[str], unassign: bool) -> None:
    """All or nothing: for any selection mixing requests that can be assigned with refused ones (finished, or
    unknown), every request is assigned when none is refused; otherwise nothing is written (no assignee, no
    event) and exactly the refused ones are named."""
    with runtime.db.transaction() as session:
        first = session.scalar(select(Staff.id).order_by(Staff.id).limit(1))
    target = None if unassign else first
    refs: list[str] = []
    refused: set[str] = set()
    for index, pick in enumerate(picks):
        ref = f"DSR-UNKNOWN{index}" if pick == "unknown" else _make(runtime, email=f"p{index}@example.se")
        if pick == "closed":
            _close(runtime, ref)
        if pick != "open":
            refused.add(ref)
        refs.append(ref)
    before = _assignees(runtime)
    events = _last_event(runtime)
    if refused:
        with pytest.raises(queue.BulkRefused) as exc, runtime.work(STAFF) as work:
            queue.assign_many(work, refs, target)
        assert {r.ref for r in exc.value.refused} == refused
        assert _assignees(runtime) == before  # nothing half-done
        assert _last_event(runtime) == events
    else:
        with runtime.work(STAFF) as work:
            done = queue.assign_many(work, refs, target)
        assert set(done) == set(refs)
        after = _assignees(runtime)
        assert all(after[ref] == target for ref in refs)


def _last_event(runtime: Runtime) -> int | None:
    with runtime.db.transaction() as session:
        return session.scalar(select(SubjectRequestEvent.id).order_by(SubjectRequestEvent.id.desc()).limit(1))
