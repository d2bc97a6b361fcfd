"""The DPO dashboard: each panel with its figures and link, and only for viewers whose grants open its area."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from custos.access.models import Grant
from custos.actor import Actor
from custos.clock import today
from custos.consent.models import ConsentRecord
from custos.incidents import service as incidents
from custos.incidents.schemas import IncidentCreate
from custos.register import people
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.requests import cases
from custos.requests.schemas import RequestCreate
from custos.runtime import Runtime
from custos.systems.models import SystemRun
from custos.work import Work

ACTOR = Actor(kind="cli", id=None, label="cli:test")


def _fill(runtime: Runtime, staff_id: int) -> None:
    clock = runtime.clock
    now, day = clock.now(), today(clock)
    with runtime.db.transaction() as session:
        for n, shift in enumerate((-3, -1, 2, 10, 40)):
            req, _ = cases.create(
                Work(session, clock, runtime.keys, runtime.policy, ACTOR),
                RequestCreate(kind="access", email=f"s{n}@example.se"),
                channel="staff",
            )
            req.due_on = day + timedelta(days=shift)
        incidents.open_incident(
            Work(session, clock, runtime.keys, runtime.policy, ACTOR),
            IncidentCreate(
                summary="Laptop stolen", reported_by="IT", kinds=["confidentiality"], aware_at=now - timedelta(hours=20)
            ),
        )
        for n, analytics in enumerate((True, True, False, True)):
            session.add(
                ConsentRecord(
                    id=f"{n:032x}",
                    visitor_id=f"{n:032x}",
                    at=now - timedelta(days=n),
                    policy_version=runtime.policy.current_version,
                    policy_hash="0" * 64,
                    inventory_hash="0" * 64,
                    choices={"analytics": analytics},
                    kind="consent" if analytics else "refusal",
                    method="banner",
                    gpc=False,
                    expires_at=now + timedelta(days=365),
                )
            )
        for system, status in (("crm", "failed"), ("finance", "done")):
            session.add(
                SystemRun(
                    system_id=system,
                    subject_ref="ref-1",
                    cause="retention",
                    operation="erase",
                    status=status,
                    counts={},
                    kept=[],
                    error="boom" if status == "failed" else None,
                    attempts=1,
                    started_at=now,
                    finished_at=now,
                )
            )
        session.add(
            Grant(staff_id=staff_id, role="auditor", scope="*", granted_at=now, expires_at=now + timedelta(days=5))
        )
        for n, last in enumerate((date(2016, 11, 15), date(2017, 1, 15), date(2020, 1, 1))):
            people.add_person(
                Work(session, runtime.clock, runtime.keys, runtime.policy, ACTOR),
                PersonCreate(
                    name=f"Prospect {n}",
                    emails=[f"p{n}@example.se"],
                    relationships=[RelationshipCreate(subject_category="prospect", last_interaction_on=last)],
                ),
            )


def test_the_dpo_sees_every_panel_with_its_figures(runtime: Runtime, login_as: Any, staff_factory: Any) -> None:
    member = staff_factory("dpo")
    _fill(runtime, member.id)
    page = login_as(staff=member).get("/admin")
    assert page.status_code == 200
    html = page.text
    assert 'id="requests-overdue">2 overdue<' in html
    assert "Overdue: 2. Due within 7 days: 1. Within 8–14 days: 1. Later: 1." in html
    assert 'class="bar bucket-overdue"' in html
    assert "Laptop stolen" in html
    assert "52 h left of the 72 hours" in html
    assert 'id="panel-retention"' in html
    # Ten years after the last interaction: 2026-11-15 (overdue), 2027-01-15 (within 90 days), 2030 (later).
    # Issue 13 item 11: the overdue one is past due, not one who "may fall due within 30 days".
    assert "1 people are past due since 2026-11-15" in html
    assert 'id="retention-30">up to 0 more people may fall due within 30 days<' in html
    assert 'id="retention-90">up to 1 more people may fall due within 90 days<' in html
    assert "analytics: 75 % of 4 choices granted" in html
    systems_panel = html.split('id="panel-systems"')[1].split('class="dash-panel"')[0]
    assert "CRM: the last erasure step failed" in systems_panel
    assert "Finance and payroll" not in systems_panel
    assert "1 grants end within 30 days" in html
    for link in ("/admin/requests", "/admin/incidents", "/admin/retention", "/admin/consent", "/admin/systems"):
        assert f'href="{link}"' in html


def test_each_panel_only_for_whom_it_is_open(runtime: Runtime, login_as: Any, staff_factory: Any) -> None:
    _fill(runtime, staff_factory("dpo").id)
    auditor = login_as("auditor").get("/admin").text
    assert 'id="panel-breaches"' in auditor
    for hidden in ("panel-requests", "panel-retention", "panel-consent", "panel-systems", "panel-grants"):
        assert f'id="{hidden}"' not in auditor
    agent = login_as("support_agent").get("/admin").text
    assert "dash-panel" not in agent
