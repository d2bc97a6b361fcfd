"""The registry of audit actions is the only source of names, and `docs/audit-actions.md` is generated from it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from custos.actor import Actor
from custos.audit.actions import MEANING, Action, catalogue_markdown
from custos.audit.models import AuditEvent
from custos.errors import InvalidInput
from custos.runtime import Runtime

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit-actions.md"


def test_every_action_says_what_it_means() -> None:
    assert set(MEANING) == set(Action)
    assert all(text.strip().endswith((".", ")")) for text in MEANING.values())


def test_the_documentation_is_generated_from_the_registry() -> None:
    assert DOC.read_text(encoding="utf-8") == catalogue_markdown(), (
        "docs/audit-actions.md is out of date: run `custos audit actions --markdown > docs/audit-actions.md`"
    )


def test_an_unregistered_name_is_refused_and_nothing_is_written(runtime: Runtime) -> None:
    before = _count(runtime)

    def peek() -> None:
        with runtime.work(Actor.system("test")) as work:
            work.audit(Action.PERSON_READ, subject=str(uuid.uuid4()))
            work.audit("person.peek", subject=str(uuid.uuid4()))  # type: ignore[arg-type]

    with pytest.raises(InvalidInput) as refused:
        peek()
    assert refused.value.problems[0].location == "action"
    assert "not a known audit action" in refused.value.problems[0].message
    assert _count(runtime) == before


def _count(runtime: Runtime) -> int:
    with runtime.db.transaction() as session:
        return session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
