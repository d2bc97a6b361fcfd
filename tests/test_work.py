"""A unit of work commits its change and its audit events together, and runs side effects only after commit."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select

from custos.actor import Actor
from custos.audit import Action, AuditEvent
from custos.runtime import Runtime

ACTOR = Actor(kind="staff", id=7, label="staff:7")


def _events(runtime: Runtime) -> list[AuditEvent]:
    with runtime.db.transaction() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(3)))


def test_events_carry_the_units_actor_and_side_effects_wait_for_the_commit(runtime: Runtime) -> None:
    sent: list[str] = []
    ref = str(uuid.uuid4())
    with runtime.work(ACTOR) as work:
        work.audit(Action.PERSON_READ, subject=ref)
        work.after_commit(lambda: sent.append("letter"))
        assert sent == []  # nothing leaves before the change is durable
    assert sent == ["letter"]
    newest = _events(runtime)[0]
    assert (newest.action, newest.subject, newest.actor_label) == ("person.read", ref, "staff:7")


def test_a_rolled_back_unit_sends_nothing_and_records_nothing(runtime: Runtime) -> None:
    sent: list[str] = []
    with runtime.db.transaction() as session:
        before = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()

    def failing() -> None:
        with runtime.work(ACTOR) as work:
            work.audit(Action.PERSON_ERASE, subject=str(uuid.uuid4()))
            work.after_commit(lambda: sent.append("letter"))
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing()
    assert sent == []
    with runtime.db.transaction() as session:
        assert session.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == before


def test_every_side_effect_gets_its_turn_and_the_first_failure_is_raised(runtime: Runtime) -> None:
    sent: list[str] = []

    def broken() -> None:
        raise OSError("mail server down")

    def two_effects() -> None:
        with runtime.work(ACTOR) as work:
            work.after_commit(broken)
            work.after_commit(lambda: sent.append("file"))

    with pytest.raises(OSError, match="mail server down"):
        two_effects()
    assert sent == ["file"]


def test_acting_as_another_actor_shares_the_transaction_and_its_side_effects(runtime: Runtime) -> None:
    sent: list[str] = []
    with runtime.work(ACTOR) as work:
        step = work.acting_as(Actor.system("sweep"))
        step.audit(Action.RETENTION_SWEEP_START)
        step.after_commit(lambda: sent.append("done"))
        assert step.session is work.session
    assert sent == ["done"]
    assert _events(runtime)[0].actor_label == "system:sweep"


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    units=st.lists(
        st.tuples(st.integers(min_value=0, max_value=3), st.integers(min_value=0, max_value=3), st.booleans()),
        min_size=1,
        max_size=6,
    )
)
def test_side_effects_and_events_happen_exactly_for_the_units_that_commit(
    runtime: Runtime, units: list[tuple[int, int, bool]]
) -> None:
    """Over random histories of units (events written, side effects registered, failed or not): every
    committed unit leaves all its events and runs all its side effects once; a failed one leaves neither."""
    sent: list[int] = []
    with runtime.db.transaction() as session:
        start = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    expected_events, expected_sent = 0, []
    for number, (events, effects, fails) in enumerate(units):

        def unit(number: int = number, events: int = events, effects: int = effects, fails: bool = fails) -> None:
            with runtime.work(ACTOR) as work:
                for _ in range(events):
                    work.audit(Action.PERSON_READ, subject=str(uuid.uuid4()))
                for _ in range(effects):
                    work.after_commit(lambda number=number: sent.append(number))
                if fails:
                    raise RuntimeError("rolled back")

        if fails:
            with pytest.raises(RuntimeError):
                unit()
        else:
            unit()
            expected_events += events
            expected_sent += [number] * effects
    assert sent == expected_sent
    with runtime.db.transaction() as session:
        assert session.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == start + expected_events
