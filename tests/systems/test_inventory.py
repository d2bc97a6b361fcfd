"""The inventory: the policy says what a system is (kind, mapping, connection variable) and `policy check`
explains a wrong one with its line; the database holds only the owner set in the admin UI and the outcomes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from customer_system import OWNER, connected_policy
from sqlalchemy import select

from custos.actor import Actor
from custos.audit.models import AuditEvent
from custos.clock import FixedClock
from custos.errors import InvalidInput, PolicyInvalid
from custos.policy import load_policy
from custos.policy.check import check_policy
from custos.runtime import Runtime, open_runtime
from custos.settings import Settings
from custos.systems import inventory
from custos.systems.models import SystemState
from custos.systems.policy_check import system_findings


def _line(path: Path, fragment: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if fragment in line)


def test_a_sql_system_without_a_mapping_is_an_error_with_its_line(settings: Settings, tmp_path: Path) -> None:
    path = connected_policy(settings, tmp_path)
    path.write_text(path.read_text().replace("    mapping: crm-mapping.yaml\n", ""))
    with pytest.raises(PolicyInvalid) as caught:
        load_policy(path)
    (problem,) = [p for p in caught.value.problems if "mapping" in p.message]
    assert problem.location == "systems[0]"
    assert problem.line == _line(path, "- id: crm")
    assert problem.hint
    assert "custos systems scan" in problem.hint


def test_policy_check_reports_a_missing_or_invalid_mapping_file_at_the_mapping_line(
    settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    path = connected_policy(settings, tmp_path)
    assert check_policy(path, clock, checks=[system_findings]).ok
    (tmp_path / "crm-mapping.yaml").write_text("system: crm\ntables:\n  customers:\n    erase: shred\n")
    report = check_policy(path, clock, checks=[system_findings])
    (problem,) = report.errors
    assert (problem.location, problem.line) == ("systems[0].mapping", _line(path, "mapping: crm-mapping.yaml"))
    assert "invalid" in problem.message
    (tmp_path / "crm-mapping.yaml").unlink()
    (problem,) = check_policy(path, clock, checks=[system_findings]).errors
    assert "does not exist" in problem.message


def test_mapping_and_connection_belong_to_sql_systems_only(settings: Settings, tmp_path: Path) -> None:
    path = connected_policy(settings, tmp_path)
    path.write_text(path.read_text().replace(f"    owner: {OWNER}\n", f"    owner: {OWNER}\n    connection: X_URL\n"))
    with pytest.raises(PolicyInvalid) as caught:
        load_policy(path)
    assert any("sql systems only" in p.message for p in caught.value.problems)


def test_the_connection_variable_defaults_from_the_id_and_the_url_is_shown_masked(
    runtime: Runtime, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    path = connected_policy(settings, tmp_path)
    rt = open_runtime(
        replace(settings, policy_path=path), clock, environ={"CUSTOS_SYSTEM_CRM_URL": "mysql://app:pw123@db:3306/crm"}
    )
    try:
        with rt.work(Actor.system("test")) as work:
            entries = {e.id: e for e in inventory.inventory(work, rt)}
        crm = entries["crm"]
        assert (crm.connection, crm.connection_set, crm.mapping_status) == ("CUSTOS_SYSTEM_CRM_URL", True, "ok")
        assert crm.masked_url == "mysql://app:***@db:3306/crm"
        assert entries["mailer"].connection is None
        assert entries["mailer"].owner == OWNER
        rt.system_env = {}
        with rt.work(Actor.system("test")) as work:
            assert inventory.system_entry(work, rt, "crm").connection_set is False
    finally:
        rt.close()


def test_the_owner_set_in_the_ui_overrides_the_policy_and_is_audited_without_the_address(
    runtime: Runtime, settings: Settings, clock: FixedClock, tmp_path: Path, staff_factory: Callable[..., object]
) -> None:
    rt = open_runtime(replace(settings, policy_path=connected_policy(settings, tmp_path)), clock, environ={})
    try:
        staff_factory("system_owner", "mailer", email="new.owner@example.se")
        actor = Actor.system("test")
        with rt.work(actor) as work, pytest.raises(InvalidInput):
            inventory.set_owner(work, "mailer", "stranger@example.se")
        with rt.work(actor) as work:
            assert inventory.set_owner(work, "mailer", "New.Owner@example.se") == ("new.owner@example.se")
        with rt.work(actor) as work:
            assert inventory.owner_of(work.session, rt.policy, "mailer") == "new.owner@example.se"
            inventory.set_owner(work, "mailer", None)
        with rt.db.transaction() as session:
            assert inventory.owner_of(session, rt.policy, "mailer") == OWNER  # back to the policy's
            assert session.get(SystemState, "mailer") is not None
            events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "system.owner_set")))
        assert len(events) == 2
        assert all("@" not in str(e.details) for e in events)
    finally:
        rt.close()


def test_a_systems_categories_must_be_the_policys(settings: Settings, clock: FixedClock, tmp_path: Path) -> None:
    path = connected_policy(settings, tmp_path)
    path.write_text(path.read_text().replace("categories: [contact.email, contact.name]", "categories: [contact.mail]"))
    (problem,) = check_policy(path, clock, checks=[system_findings]).errors
    assert (problem.location, problem.line) == ("systems[1].categories[0]", _line(path, "categories: [contact.mail]"))
    assert problem.hint is not None
    assert "contact.email" in problem.hint
