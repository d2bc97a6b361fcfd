"""The group-commit writer behind POST /consent/records: every choice handed to it is committed before its
requester hears back (GDPR Art. 7(1) proof), in order per visitor, one bad record fails alone, and closing the
writer first writes what is queued."""

from __future__ import annotations

import asyncio
import dataclasses
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from custos.consent import service
from custos.consent.models import ConsentRecord
from custos.consent.service import Choice, Method, Pending, Saved
from custos.consent.terms import terms_for
from custos.consent.writer import ConsentWriter
from custos.runtime import Runtime


def _pending(runtime: Runtime, visitor: str | None = None, **choices: bool) -> Pending:
    return service.prepare(runtime.clock, terms_for(runtime.policy), visitor, Choice(choices, Method.SETTINGS))


def _stored(runtime: Runtime) -> dict[str, tuple[str, str]]:
    with runtime.db.transaction() as session:
        rows = session.execute(select(ConsentRecord.id, ConsentRecord.visitor_id, ConsentRecord.kind))
        return {record_id: (visitor, kind) for record_id, visitor, kind in rows}


def test_many_concurrent_choices_are_each_committed_once(runtime: Runtime) -> None:
    writer = ConsentWriter(runtime, max_batch=16)
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = list(pool.map(lambda i: writer.submit(_pending(runtime, analytics=i % 2 == 0)), range(200)))
        saved = [future.result(timeout=30) for future in futures]
    finally:
        writer.close()
    stored = _stored(runtime)
    assert len(stored) == len({s.id for s in saved}) == 200
    assert all(stored[s.id] == (s.visitor_id, s.kind) for s in saved)
    assert sorted(s.kind for s in saved) == ["consent"] * 100 + ["refusal"] * 100


def test_a_visitors_choices_keep_their_order_within_a_batch(runtime: Runtime) -> None:
    with runtime.work(service.VISITOR) as work:
        consent = Choice({"analytics": True}, Method.BANNER)
        visitor_id = service.record_choice(work, terms_for(runtime.policy), None, consent).visitor_id
    writer = ConsentWriter(runtime)
    try:
        # Withdraw, consent again, withdraw again: each is compared with the one before it, also when the
        # writer takes them in one transaction.
        futures = [writer.submit(_pending(runtime, visitor_id, analytics=given)) for given in (False, True, False)]
        kinds = [future.result(timeout=30).kind for future in futures]
    finally:
        writer.close()
    assert kinds == ["withdrawal", "consent", "withdrawal"]
    with runtime.work(service.VISITOR) as work:
        assert [r.kind for r in service.history(work, visitor_id)] == ["consent", *kinds]


def test_a_record_the_database_refuses_fails_alone(runtime: Runtime) -> None:
    writer = ConsentWriter(runtime)
    bad = dataclasses.replace(_pending(runtime, analytics=True), policy_version=None)
    try:
        futures = [writer.submit(_pending(runtime, analytics=True)) for _ in range(20)]
        failing = writer.submit(bad)
        futures += [writer.submit(_pending(runtime, analytics=False)) for _ in range(20)]
        saved: list[Saved] = [future.result(timeout=30) for future in futures]
        with pytest.raises(IntegrityError):
            failing.result(timeout=30)
    finally:
        writer.close()
    stored = _stored(runtime)
    assert len(stored) == 40
    assert {s.id for s in saved} == set(stored)


def test_closing_writes_what_is_queued_and_then_refuses(runtime: Runtime) -> None:
    writer = ConsentWriter(runtime)
    futures = [writer.submit(_pending(runtime, analytics=True)) for _ in range(50)]
    writer.close()
    assert all(future.done() and future.exception() is None for future in futures)
    with runtime.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ConsentRecord)) == 50
    with pytest.raises(RuntimeError, match="closed"):
        writer.submit(_pending(runtime))


def test_coroutines_are_answered_after_their_commit(runtime: Runtime) -> None:
    writer = ConsentWriter(runtime)

    async def choose_all() -> list[Saved]:
        return list(await asyncio.gather(*(writer.write(_pending(runtime, analytics=True)) for _ in range(100))))

    try:
        # A loop of its own in a thread of its own, whatever loop other tests left in this one.
        with ThreadPoolExecutor(max_workers=1) as pool:
            saved = pool.submit(lambda: asyncio.run(choose_all())).result(timeout=60)
    finally:
        writer.close()
    stored = _stored(runtime)
    assert {s.id for s in saved} == set(stored)
    assert len(stored) == 100
