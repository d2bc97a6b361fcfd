"""Seeding a demo register through the real importer and people service."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from custos.actor import Actor
from custos.demo.generator import employees
from custos.demo.seed import seed_register
from custos.errors import Conflict
from custos.register.models import Organisation, OrganisationRole, Relationship
from custos.register.people import count_people, find_person
from custos.runtime import Runtime

SEEDER = Actor(kind="staff", id=1, label="staff:1")


def _categories(runtime: Runtime) -> dict[str, int]:
    with runtime.db.transaction() as session:
        rows = session.execute(
            select(Relationship.subject_category, func.count()).group_by(Relationship.subject_category)
        ).all()
    return {str(category): int(count) for category, count in rows}


def test_seeding_fills_an_empty_register_with_every_kind_of_person(runtime: Runtime, tmp_path: Path) -> None:
    steps: list[str] = []
    workdir = tmp_path / "work"
    workdir.mkdir()
    report = seed_register(runtime, SEEDER, 200, 1, workdir, progress=lambda step, _d, _t: steps.append(step))
    assert report.people_added == 200
    with runtime.work(SEEDER) as work:
        session = work.session
        assert count_people(work) == 200
        supplier_roles = session.scalar(
            select(func.count()).select_from(OrganisationRole).where(OrganisationRole.role == "supplier")
        )
        assert supplier_roles
        assert session.scalar(select(func.count()).select_from(Organisation)) == (
            report.contacts.organisations_created
            + report.prospects.organisations_created
            + report.organisations_created
        )
    assert _categories(runtime) == {
        "customer_contact": 120,
        "prospect": 60,
        "employee": 8,
        "supplier_contact": 6,
        "partner_contact": 6,
    }
    assert "importing contacts" in steps
    assert list(workdir.iterdir()) == []  # the intermediate CSV files are not left behind


def test_seeded_people_are_found_by_their_email(runtime: Runtime, tmp_path: Path) -> None:
    seed_register(runtime, SEEDER, 50, 4, tmp_path)
    with runtime.work(SEEDER) as work:
        person = find_person(work, "email", _first_employee_email(runtime))
    assert [r.subject_category for r in person.relationships] == ["employee"]
    assert [r.activity for r in person.relationships] == ["employment"]


def _first_employee_email(runtime: Runtime) -> str:
    day = runtime.clock.now().date()
    return next(employees(1, 4, today=day, domain="elastx.se")).emails[0]


def test_a_register_with_people_is_refused_unless_forced_and_reseeding_changes_nothing(
    runtime: Runtime, tmp_path: Path
) -> None:
    seed_register(runtime, SEEDER, 100, 2, tmp_path)
    with pytest.raises(Conflict, match="already has 100 people"):
        seed_register(runtime, SEEDER, 100, 2, tmp_path)
    again = seed_register(runtime, SEEDER, 100, 2, tmp_path, force=True)
    assert again.people_added == 0
    assert again.already_present == 10
    assert again.contacts.unchanged == 60
    with runtime.work(SEEDER) as work:
        assert count_people(work) == 100


def test_reseeding_with_another_seed_is_a_clear_conflict_not_a_crash(runtime: Runtime, tmp_path: Path) -> None:
    seed_register(runtime, SEEDER, 300, 1, tmp_path)
    with pytest.raises(Conflict, match="clash with people already in the register"):
        seed_register(runtime, SEEDER, 300, 2, tmp_path, force=True)
