"""A sweep started by hand shows whom it erases and asks for the number first; each erasure leaves a tombstone
to look at, in the admin and over the API (issue 13 item 11).

The reproduction: "Run the sweep now" erased at once, with no confirmation, and a tombstone was only a count.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from custos.actor import Actor
from custos.audit import AuditEvent
from custos.jobs.models import JobRun
from custos.jobs.registry import RETENTION_SWEEP, scheduler_for
from custos.register import people
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.retention.models import Tombstone
from custos.runtime import Runtime

LoginAs = Callable[..., TestClient]

TESTER = Actor.system("test")


def _prospect(runtime: Runtime, name: str, email: str, last: date) -> str:
    """A prospect: the example policy keeps them ten years from the last interaction."""
    data = PersonCreate(
        name=name,
        emails=[email],
        relationships=[
            RelationshipCreate(subject_category="prospect", collected_on=date(2010, 1, 1), last_interaction_on=last)
        ],
    )
    with runtime.work(TESTER) as work:
        return people.add_person(work, data).ref


def _events(runtime: Runtime, action: str) -> list[AuditEvent]:
    with runtime.db.transaction() as session:
        found = list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))
        session.expunge_all()
        return found


def _woken(runtime: Runtime) -> bool:
    with runtime.db.transaction() as session:
        job = session.get(JobRun, RETENTION_SWEEP)
        return job is not None and job.due_at == runtime.clock.now()


@pytest.fixture
def due(runtime: Runtime) -> dict[str, str]:
    """Two prospects due (since 2016 and 2020), one not yet."""
    return {
        "early": _prospect(runtime, "Erik Early", "erik@example.se", date(2006, 3, 1)),
        "late": _prospect(runtime, "Lena Late", "lena@example.se", date(2010, 9, 15)),
        "kept": _prospect(runtime, "Karin Kept", "karin@example.se", date(2025, 1, 1)),
    }


def test_run_the_sweep_now_first_shows_whom_it_erases_and_erases_nothing_unconfirmed(
    client: TestClient, runtime: Runtime, due: dict[str, str]
) -> None:
    page = client.get("/admin/retention/sweep")
    assert page.status_code == 200
    assert "2 people erased, 0 trimmed" in page.text
    for ref in (due["early"], due["late"]):
        assert ref in page.text
    assert due["kept"] not in page.text
    assert "2016-03-01" in page.text
    assert "2020-09-15" in page.text
    assert "after the last interaction" in page.text  # the rule
    assert "Erase and trim 2 people now" in page.text
    # Whom the sweep erases, by name (issue 14): decrypted for the rows shown, audited as person.list.
    for name in ("Erik Early", "Lena Late"):
        assert name in page.text
    assert "Karin" not in page.text  # not due
    assert "erik@example.se" not in page.text
    assert _events(runtime, "person.list")
    assert _events(runtime, "retention.plan")  # the look is audited
    assert not _woken(runtime)
    # No number, or a number the plan no longer has: shown again, nothing woken.
    unconfirmed = client.post("/admin/retention/sweeps", data={})
    assert unconfirmed.status_code == 422
    assert "Nothing was erased" in unconfirmed.text
    stale = client.post("/admin/retention/sweeps", data={"people": "1"})
    assert stale.status_code == 409
    assert "the sweep would now change 2 people" in stale.text
    assert not _woken(runtime)
    assert _events(runtime, "retention.sweep_requested") == []
    done = client.post("/admin/retention/sweeps", data={"people": "2"}, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/admin/retention?done=sweep_requested#sweeps")
    assert _woken(runtime)
    [event] = _events(runtime, "retention.sweep_requested")
    assert event.details["confirmed_people"] == 2


def test_the_dry_run_pages_through_a_long_list(client: TestClient, runtime: Runtime) -> None:
    for n in range(55):
        _prospect(runtime, f"P {n}", f"p{n}@example.se", date(2005, 1, 1) + timedelta(days=n))
    first = client.get("/admin/retention/sweep")
    assert "Lines 1 to 50 of 55" in first.text
    assert 'href="/admin/retention/sweep?offset=50"' in first.text
    assert "Erase and trim 55 people now" in first.text
    assert "Lines 51 to 55 of 55" in client.get("/admin/retention/sweep?offset=50").text


def test_a_sweeps_tombstones_are_listed_and_each_shows_its_rule_and_counts_without_personal_data(
    client: TestClient, runtime: Runtime, due: dict[str, str]
) -> None:
    client.post("/admin/retention/sweeps", data={"people": "2"})
    assert scheduler_for(runtime).tick() == [RETENTION_SWEEP]
    listing = client.get("/admin/retention/tombstones")
    assert listing.status_code == 200
    assert "Tombstones 1 to 2 of 2" in listing.text
    for ref in (due["early"], due["late"]):
        assert ref in listing.text
    with runtime.db.transaction() as session:
        stone = session.scalars(select(Tombstone).where(Tombstone.subject_ref == due["early"])).one()
        stone_id, sweep_id = stone.id, stone.sweep_id
    by_sweep = client.get(f"/admin/retention/tombstones?sweep={sweep_id}")
    assert "of 2" in by_sweep.text
    by_ref = client.get(f"/admin/retention/tombstones?ref={due['early'].upper()}&sweep=")
    assert "Tombstones 1 to 1 of 1" in by_ref.text
    assert due["late"] not in by_ref.text
    detail = client.get(f"/admin/retention/tombstones/{stone_id}")
    assert detail.status_code == 200
    assert "prospects" in detail.text
    assert "2016-03-01" in detail.text  # due on
    assert 'id="counts-register"' in detail.text
    for personal in ("Erik", "erik@example.se", "Lena", "lena@"):
        assert personal not in listing.text
        assert personal not in detail.text
    assert client.get("/admin/retention/tombstones/999999").status_code == 404
    # Every look is audited, by whom.
    assert len(_events(runtime, "retention.tombstones")) == 3
    [read] = _events(runtime, "retention.tombstone_read")
    assert (read.subject, read.target) == (due["early"], f"tombstone:{stone_id}")
    # The retention page links to them, and a sweep's count links to its own.
    retention = client.get("/admin/retention").text
    assert 'href="/admin/retention/tombstones"' in retention
    assert f'href="/admin/retention/tombstones?sweep={sweep_id}"' in retention


def _many_tombstones(runtime: Runtime, n: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        {
            "sweep_id": None,
            "task_id": None,
            "subject_ref": f"00000000-0000-4000-8000-{i:012d}",
            "action": "erase",
            "state": "erased",
            "retained_until": None,
            "as_of": date(2026, 1, 1),
            "erased_at": start + timedelta(minutes=i),
            "counts": {"register": {"person": 1, "identities": 1}},
            "entries": [],
        }
        for i in range(n)
    ]
    with runtime.db.transaction() as session:
        session.execute(insert(Tombstone), rows)


def test_the_tombstones_page_pages_newest_first(client: TestClient, runtime: Runtime) -> None:
    _many_tombstones(runtime, 55)
    first = client.get("/admin/retention/tombstones").text
    assert "Tombstones 1 to 50 of 55, newest first" in first
    assert first.index("000000000054") < first.index("000000000053")
    assert "000000000004" not in first
    assert 'href="/admin/retention/tombstones?offset=50"' in first
    second = client.get("/admin/retention/tombstones?offset=50").text
    assert "Tombstones 51 to 55 of 55" in second
    assert "000000000000" in second
    assert "erasure request" in second  # no sweep: made by a request


def test_tombstones_over_the_api_with_their_permission(client: TestClient, runtime: Runtime, login_as: LoginAs) -> None:
    _many_tombstones(runtime, 3)
    listed = client.get("/api/v1/retention/tombstones", params={"limit": 2})
    assert listed.status_code == 200
    body = listed.json()
    assert (body["total"], len(body["items"]), body["limit"]) == (3, 2, 2)
    first = body["items"][0]
    assert first["counts"] == {"register": {"person": 1, "identities": 1}}
    one = client.get(f"/api/v1/retention/tombstones/{first['id']}")
    assert one.status_code == 200
    assert one.json()["subject_ref"] == first["subject_ref"]
    missing = client.get("/api/v1/retention/tombstones/999999")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert login_as("auditor").get("/api/v1/retention/tombstones").status_code == 403  # no retention.read
    assert len(_events(runtime, "retention.tombstones")) == 1
    assert len(_events(runtime, "retention.tombstone_read")) == 1


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_the_pages_in_each_language(client: TestClient, runtime: Runtime, due: dict[str, str], lang: str) -> None:
    client.cookies.set("custos_lang", lang)
    _many_tombstones(runtime, 1)
    for url in ("/admin/retention/sweep", "/admin/retention/tombstones", "/admin/retention"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert f'<html lang="{lang}">' in page.text
    with runtime.db.transaction() as session:
        stone_id = session.scalars(select(Tombstone.id)).one()
    assert client.get(f"/admin/retention/tombstones/{stone_id}").status_code == 200


def test_one_person_due_is_said_in_the_singular_and_by_name_and_title(client: TestClient, runtime: Runtime) -> None:
    ref = _prospect(runtime, "Olle Ensam", "olle@example.se", date(2006, 3, 1))
    page = client.get("/admin/retention/sweep")
    assert "1 person erased, 0 trimmed" in page.text
    assert "Erase and trim 1 person now" in page.text
    assert "The sweep will erase or trim 1 person." in page.text
    assert "Olle Ensam" in page.text
    assert ref in page.text
    title = next(c.name for c in runtime.policy.subject_categories if c.id == "prospect")
    assert f"<td>{title}</td>" in page.text
    plan = client.get("/admin/retention")
    assert "1 person to erase" in plan.text
