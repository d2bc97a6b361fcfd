"""Helpers for retention tests: people with dated relationships, and a sweep on a given day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from custos.actor import Actor
from custos.clock import FixedClock
from custos.register import organisations, people
from custos.register.schemas import OrganisationCreate, PersonCreate, RelationshipCreate, RoleSpan
from custos.retention.schemas import SweepPublic
from custos.retention.sweep import run_sweep
from custos.runtime import Runtime

SWEEPER = Actor.system("retention-sweep")

AddPerson = Callable[..., str]
AddOrganisation = Callable[..., int]
SweepOn = Callable[..., SweepPublic]


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC)


@pytest.fixture
def add_org(runtime: Runtime) -> AddOrganisation:
    """`add_org(customer=(start, end))`: an organisation with dated roles; returns its id."""
    counter = iter(range(1, 10_000))

    def make(**roles: tuple[date | None, date | None]) -> int:
        spans = [RoleSpan(role=role, started_on=s, ended_on=e) for role, (s, e) in roles.items()]  # type: ignore[arg-type]
        with runtime.work(SWEEPER) as work:
            org = organisations.add_organisation(work, OrganisationCreate(name=f"Org {next(counter)} AB", roles=spans))
        return org.id

    return make


@pytest.fixture
def add_person(runtime: Runtime) -> AddPerson:
    """`add_person("anna@x.se", [dict(subject_category=..., ...)], phone=...)`: returns the person's ref."""

    def make(email: str, relationships: list[dict[str, Any]], *, phone: str | None = None, title: str = "CTO") -> str:
        data = PersonCreate(
            name="Test Person",
            title=title,
            emails=[email],
            phones=[phone] if phone else [],
            relationships=[RelationshipCreate(**{"collected_on": date(2010, 1, 1), **r}) for r in relationships],
        )
        with runtime.work(SWEEPER) as work:
            return people.add_person(work, data).ref

    return make


@pytest.fixture
def sweep_on(runtime: Runtime, clock: FixedClock) -> SweepOn:
    """Move the clock to 03:00 UTC of `day` and run the sweep; returns the report of today's sweep."""

    def run(day: date, **options: Any) -> SweepPublic:
        clock.set(at(day))
        return run_sweep(runtime, SWEEPER, trigger="job", **options)[-1]

    return run
