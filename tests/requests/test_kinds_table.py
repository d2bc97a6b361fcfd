"""The table of request kinds is the one place a kind is described, and the service reads it."""

from __future__ import annotations

import dataclasses

import pytest
from requests_support import ANNA, Connected
from sqlalchemy import select

from custos.actor import Actor
from custos.audit.models import AuditEvent
from custos.requests import cases, kinds
from custos.requests.schemas import RequestCreate
from custos.requests.states import KINDS

STAFF = Actor(kind="staff", id=1, label="staff:1")


def test_every_kind_has_exactly_one_row() -> None:
    rows = [row.kind for row in kinds.TABLE]
    assert sorted(rows) == sorted(KINDS)
    assert len(rows) == len(set(rows))
    assert set(kinds.KINDS) == set(KINDS)


def test_every_row_is_complete() -> None:
    for row in kinds.TABLE:
        assert row.article, row.kind
        assert row.words, row.kind
        assert row.plan(["crm"]), row.kind
        if row.register_action == "restrict":
            assert row.restrict_reason, row.kind


def test_the_plan_puts_the_register_where_the_row_says() -> None:
    assert kinds.KINDS["access"].plan(["crm"]) == [("register", "export"), ("crm", "export")]
    assert kinds.KINDS["erasure"].plan(["crm"]) == [("crm", "erase"), ("register", "erase")]
    assert kinds.KINDS["objection_marketing"].plan(["crm"]) == [("register", "suppress")]


def test_the_article_in_the_audit_purpose_comes_from_the_table(
    connected: Connected, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = connected.runtime
    row = kinds.KINDS["restriction"]
    changed = dict(kinds.KINDS) | {"restriction": dataclasses.replace(row, article="99(9)")}
    monkeypatch.setattr(cases, "KINDS", changed)
    with runtime.work(STAFF) as work:
        req, _ = cases.create(work, RequestCreate(kind="restriction", email=ANNA), channel="staff")
        query = select(AuditEvent.purpose).where(AuditEvent.target == f"request:{req.ref}")
        purposes = set(work.session.scalars(query))
    assert purposes == {"data subject request, GDPR Art. 99(9)"}


def test_details_are_asked_of_the_kinds_the_table_says(connected: Connected, monkeypatch: pytest.MonkeyPatch) -> None:
    from custos.errors import InvalidInput

    changed = dict(kinds.KINDS) | {"access": dataclasses.replace(kinds.KINDS["access"], details="say which data")}
    monkeypatch.setattr(cases, "KINDS", changed)
    now = connected.runtime.clock.now()
    with pytest.raises(InvalidInput) as raised:
        cases.validate(connected.runtime.policy, RequestCreate(kind="access", email=ANNA), channel="web", now=now)
    assert [(p.location, p.hint) for p in raised.value.problems] == [("details", "say which data")]
