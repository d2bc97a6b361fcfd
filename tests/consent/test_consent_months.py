"""Consent proof by month: the retention the policy gives, dropping whole months past it (never a record that
still proves a choice in force), PostgreSQL's month partitions made ahead, and migration 0022 with data."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import Connection, create_engine, select, text
from sqlalchemy.engine import make_url

from custos.actor import Actor
from custos.audit.actions import Action
from custos.audit.models import AuditEvent
from custos.clock import FixedClock
from custos.consent import months, service
from custos.consent.models import ConsentRecord
from custos.consent.service import Choice, Method
from custos.consent.terms import terms_for
from custos.db import make_engine
from custos.db.database import Database
from custos.db.migrate import alembic_config, upgrade
from custos.policy import Duration, Policy, add_duration
from custos.runtime import Runtime
from custos.work import open_work

SYSTEM = Actor.system(months.JOB_NAME)
BASE = datetime(2019, 1, 1, tzinfo=UTC)


def _row(visitor: str, at: datetime, expires_at: datetime) -> dict[str, object]:
    return {
        "id": uuid.uuid4().hex,
        "visitor_id": visitor,
        "at": at,
        "policy_version": date(2026, 1, 1),
        "policy_hash": "p" * 64,
        "inventory_hash": "i" * 64,
        "choices": {"analytics": True},
        "kind": "consent",
        "method": "banner",
        "gpc": False,
        "expires_at": expires_at,
        "ua_family": None,
    }


def _insert(connection: Connection, rows: list[dict[str, object]]) -> None:
    if rows:
        connection.execute(ConsentRecord.__table__.insert(), rows)


def _ids(connection: Connection) -> set[str]:
    return set(connection.execute(text("SELECT id FROM consent_record")).scalars())


@contextmanager
def _fresh(backend: str, template_database: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A database of its own, migrated: for each example of a property, since months dropped are gone for all."""
    if backend == "sqlite":
        path = tmp_path / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(template_database, path)
        db = Database(make_engine(f"sqlite:///{path}"))
        try:
            yield db
        finally:
            db.dispose()
            path.unlink()
        return
    admin = request.getfixturevalue("postgres_server")
    name = f"custos_m_{uuid.uuid4().hex[:12]}"
    server = create_engine(admin, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"'))
    db = Database(make_engine(make_url(admin).set(database=name).render_as_string(hide_password=False)))
    try:
        yield db
    finally:
        db.dispose()
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


# -- the retention the policy gives ---------------------------------------------------------------------------


def test_proof_is_kept_for_the_consent_lifetime_plus_the_limitation_period_by_default(runtime: Runtime) -> None:
    policy = runtime.policy
    assert policy.consent is not None
    bare = policy.model_copy(update={"consent": policy.consent.model_copy(update={"proof_retention": None})})
    # The example is Swedish: Preskriptionslag (1981:130) 2 §, ten years, after a consent of at most 365 days.
    assert months.proof_retention(bare) == Duration(years=10, days=365)


def test_the_example_policy_says_how_long_proof_is_kept(runtime: Runtime) -> None:
    assert months.proof_retention(runtime.policy) == Duration(years=11)


def test_proof_retention_shorter_than_the_consent_is_refused(runtime: Runtime) -> None:
    consent = runtime.policy.consent
    assert consent is not None
    data = consent.model_dump(mode="json") | {"validity": "P365D", "proof_retention": "P6M"}
    with pytest.raises(ValueError, match="shorter than the validity"):
        type(consent).model_validate(data)


def test_an_unset_proof_retention_leaves_the_policy_hash_as_it_was(runtime: Runtime) -> None:
    policy = runtime.policy
    assert policy.consent is not None
    dumped = policy.consent.model_copy(update={"proof_retention": None}).model_dump(mode="json")
    assert "proof_retention" not in dumped


# -- dropping months --------------------------------------------------------------------------------------------


def _drop(
    db: Database, policy: Policy, runtime: Runtime, now: datetime, retention: Duration
) -> list[months.DroppedMonth]:
    with open_work(db, FixedClock(now), runtime.keys, policy, SYSTEM) as work:
        return months.drop_expired(work, retention)


def test_a_month_past_its_retention_goes_audited_and_one_in_force_stays(runtime: Runtime) -> None:
    day = timedelta(days=1)
    with runtime.db.transaction() as session:
        connection = session.connection()
        _insert(
            connection,
            [_row("a" * 32, datetime(2014, 3, d, tzinfo=UTC), datetime(2015, 3, 1, tzinfo=UTC)) for d in (1, 31)],
        )
        # Visitor b's only record is old, but was given (under an older policy) for far longer: still in force.
        _insert(connection, [_row("b" * 32, datetime(2014, 5, 2, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC))])
    now = datetime(2026, 11, 29, 10, tzinfo=UTC)
    dropped = _drop(runtime.db, runtime.policy, runtime, now, Duration(years=11))
    # March 2014 + 11 years ended on 2025-04-01; April and May 2014 are empty or in force.
    assert [(d.month, d.records) for d in dropped if d.records] == [(date(2014, 3, 1), 2)]
    with runtime.db.transaction() as session:
        visitors = set(session.scalars(select(ConsentRecord.visitor_id)))
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == Action.CONSENT_MONTH_DROPPED)))
    assert visitors == {"b" * 32}
    march = [e for e in events if e.target == "consent_month:2014-03"]
    assert len(march) == 1
    assert (march[0].details["records"], march[0].details["retention"]) == (2, "P11Y")
    assert len(events) == len(dropped)
    # Nothing more is due the next day: the run is idempotent.
    assert [d for d in _drop(runtime.db, runtime.policy, runtime, now + day, Duration(years=11)) if d.records] == []


def test_the_daily_run_uses_the_policys_retention(runtime: Runtime) -> None:
    with runtime.work(service.VISITOR) as work:
        service.record_choice(work, terms_for(runtime.policy), None, Choice({"analytics": True}, Method.BANNER))
    assert [d for d in months.drop_expired_consent_months(runtime) if d.records] == []  # made today: kept
    with runtime.db.transaction() as session:
        assert session.scalar(select(ConsentRecord.id)) is not None


def test_the_daily_job_drops_expired_months(runtime: Runtime) -> None:
    from custos.jobs.registry import CONSENT_MONTHS, default_jobs

    with runtime.db.transaction() as session:
        old = _row("a" * 32, datetime(2012, 1, 5, tzinfo=UTC), datetime(2013, 1, 5, tzinfo=UTC))
        _insert(session.connection(), [old])
    next(job for job in default_jobs(runtime) if job.name == CONSENT_MONTHS).run()
    with runtime.db.transaction() as session:
        assert _ids(session.connection()) == set()
        assert session.scalar(select(AuditEvent.target).where(AuditEvent.action == Action.CONSENT_MONTH_DROPPED))


def test_the_guard_is_back_after_a_drop(runtime: Runtime) -> None:
    with runtime.db.transaction() as session:
        _insert(
            session.connection(), [_row("a" * 32, datetime(2010, 1, 5, tzinfo=UTC), datetime(2010, 6, 1, tzinfo=UTC))]
        )
        _insert(
            session.connection(), [_row("c" * 32, datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))]
        )
    _drop(runtime.db, runtime.policy, runtime, datetime(2026, 11, 29, tzinfo=UTC), Duration(years=11))
    with pytest.raises(Exception, match="append-only"), runtime.db.transaction() as session:
        session.execute(text("DELETE FROM consent_record"))


# -- the promise, over random histories ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    visitor: int
    at: datetime
    expires_at: datetime


_records = st.builds(
    lambda visitor, minutes, validity: _Record(
        visitor, BASE + timedelta(minutes=minutes), BASE + timedelta(minutes=minutes, days=validity)
    ),
    st.integers(0, 4),
    st.integers(0, 6 * 366 * 24 * 60),  # six years of history
    st.integers(1, 800),  # a consent's lifetime, days; longer than the retention at times (an older policy)
)


def _older_than(at: datetime, retention: Duration, now: datetime) -> bool:
    return datetime.combine(add_duration(at.date(), retention), at.timetz()) <= now


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    history=st.lists(_records, max_size=25),
    retention=st.sampled_from([Duration(months=6), Duration(years=1), Duration(days=400), Duration(years=2)]),
    later=st.integers(0, 8 * 366),
)
def test_no_record_that_proves_a_choice_in_force_is_ever_dropped(
    runtime: Runtime,
    backend: str,
    template_database: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    history: list[_Record],
    retention: Duration,
    later: int,
) -> None:
    now = BASE + timedelta(days=later, hours=12)
    history = sorted(history, key=lambda r: r.at)  # written in time order, so `seq` follows `at`
    with _fresh(backend, template_database, tmp_path, request) as db:
        with db.transaction() as session:
            rows = [_row(f"{r.visitor:032x}", r.at, r.expires_at) for r in history]
            _insert(session.connection(), rows)
        ids = [str(row["id"]) for row in rows]
        dropped = _drop(db, runtime.policy, runtime, now, retention)
        with db.transaction() as session:
            kept = _ids(session.connection())
            events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == Action.CONSENT_MONTH_DROPPED)))

    latest = {r.visitor: i for i, r in enumerate(history)}
    for visitor, i in latest.items():
        if history[i].expires_at > now:
            assert ids[i] in kept, f"visitor {visitor}'s choice in force lost its proof"
    by_month: dict[date, list[int]] = {}
    for i, r in enumerate(history):
        by_month.setdefault(months.month_of(r.at), []).append(i)
    for month, members in by_month.items():
        gone = [ids[i] not in kept for i in members]
        assert all(gone) or not any(gone), "a month is dropped whole or not at all"
        due = months.past_retention(month, retention, now) and all(history[i].expires_at <= now for i in members)
        assert all(gone) == due, f"{month}: dropped exactly when past retention and no record of it holds"
        for i in members:
            if ids[i] not in kept:
                assert _older_than(history[i].at, retention, now)
    counted = {d.month: d.records for d in dropped if d.records}
    assert counted == {m: len(ms) for m, ms in by_month.items() if ids[ms[0]] not in kept}
    assert len(events) == len(dropped)


# -- PostgreSQL: the partitions --------------------------------------------------------------------------------


def _partition_of(connection: Connection) -> dict[str, str]:
    rows = connection.execute(text("SELECT id, tableoid::regclass::text FROM consent_record"))
    return {str(record_id): str(where) for record_id, where in rows}


def test_months_are_made_ahead_and_strays_leave_the_default(runtime: Runtime, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("SQLite keeps one table")
    now = datetime(2031, 5, 20, tzinfo=UTC)
    with runtime.db.transaction() as session:
        connection = session.connection()
        stray = _row("a" * 32, datetime(2031, 2, 3, tzinfo=UTC), datetime(2032, 2, 3, tzinfo=UTC))
        _insert(connection, [stray])
        assert _partition_of(connection)[str(stray["id"])] == "consent_months.consent_record_default"
        made = months.ensure_months(connection, now)
        assert made == [date(2031, 2, 1), date(2031, 5, 1), date(2031, 6, 1), date(2031, 7, 1), date(2031, 8, 1)]
        assert _partition_of(connection)[str(stray["id"])] == "consent_months.consent_record_2031_02"
        assert months.ensure_months(connection, now) == []  # made once
        count = connection.execute(text("SELECT count(*) FROM consent_months.consent_record_default")).scalar()
        assert count == 0
    for statement in (
        "TRUNCATE consent_months.consent_record_2031_02",
        "DELETE FROM consent_months.consent_record_2031_02",
        "UPDATE consent_record SET kind = 'refusal'",
    ):
        with pytest.raises(Exception, match="append-only"), runtime.db.transaction() as session:
            session.execute(text(statement))


# The queries by `seq` (custos.consent.service, .overview): each still finds its rows through an index.
_BY_SEQ = (
    "SELECT * FROM consent_record WHERE seq IN (SELECT max(seq) FROM consent_record GROUP BY visitor_id)",
    "SELECT * FROM consent_record ORDER BY seq DESC LIMIT 10",
    f"SELECT * FROM consent_record WHERE visitor_id = '{'a' * 32}' ORDER BY seq DESC LIMIT 1",
)


@pytest.mark.parametrize("query", _BY_SEQ)
def test_every_lookup_by_seq_has_an_index_leading_with_it(runtime: Runtime, backend: str, query: str) -> None:
    if backend != "postgres":
        pytest.skip("SQLite's key is seq itself")
    with runtime.db.transaction() as session:
        connection = session.connection()
        _insert(connection, [_row("a" * 32, datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 12, 1, tzinfo=UTC))])
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(connection.execute(text(f"EXPLAIN {query}")).scalars())
    assert "Index" in plan
    assert "Seq Scan" not in plan


def _previous() -> str:
    from alembic.script import ScriptDirectory

    revision = ScriptDirectory.from_config(alembic_config()).get_revision("0022")
    assert revision is not None
    assert isinstance(revision.down_revision, str)
    return revision.down_revision


def test_migration_0022_partitions_a_table_with_data_and_back(backend: str, request: pytest.FixtureRequest) -> None:
    if backend != "postgres":
        pytest.skip("0022 changes nothing on SQLite")
    admin = request.getfixturevalue("postgres_server")
    name = f"custos_mig_{uuid.uuid4().hex[:10]}"
    server = create_engine(admin, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(admin).set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine, _previous())
        times = [
            datetime(2023, 7, 31, 23, 59, 59, tzinfo=UTC),
            datetime(2023, 8, 1, tzinfo=UTC),
            datetime(2025, 2, 14, tzinfo=UTC),
        ]
        rows = [_row(f"{i:032x}", at, at + timedelta(days=365)) for i, at in enumerate(times)]
        with engine.begin() as connection:
            _insert(connection, rows)
            before = dict(connection.execute(text("SELECT id, seq FROM consent_record")).all())
        upgrade(engine, "0022")
        with engine.begin() as connection:
            assert dict(connection.execute(text("SELECT id, seq FROM consent_record")).all()) == before
            where = _partition_of(connection)
            assert [where[str(row["id"])] for row in rows] == [
                "consent_months.consent_record_2023_07",
                "consent_months.consent_record_2023_08",
                "consent_months.consent_record_2025_02",
            ]
            kind = connection.execute(text("SELECT relkind FROM pg_class WHERE relname = 'consent_record'")).scalar()
            assert kind == "p"
            # Every month from the oldest record's to three ahead of today, and nothing missing in between.
            there = months.partitions(connection)
            assert min(there) == date(2023, 7, 1)
            assert len(there) == len(months._months_between(min(there), max(there)))
            _insert(connection, [_row("f" * 32, datetime.now(UTC), datetime.now(UTC) + timedelta(days=1))])
            newest = connection.execute(text("SELECT max(seq) FROM consent_record")).scalar()
            assert newest == max(before.values()) + 1  # the sequence carried on
            key = connection.execute(
                text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'pk_consent_record'")
            ).scalar()
            assert key == "PRIMARY KEY (seq, at)"
        with pytest.raises(Exception, match="append-only"), engine.begin() as connection:
            connection.execute(text("DELETE FROM consent_record"))
        upgrade(engine, "head")
        from alembic import command

        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, _previous())
        with engine.begin() as connection:
            kind = connection.execute(text("SELECT relkind FROM pg_class WHERE relname = 'consent_record'")).scalar()
            assert kind == "r"
            assert len(_ids(connection)) == len(rows) + 1
        upgrade(engine, "head")
    finally:
        engine.dispose()
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def test_a_visitors_latest_choice_is_looked_for_in_the_last_year_only(runtime: Runtime, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("SQLite keeps one table")
    now = datetime(2031, 5, 20, tzinfo=UTC)
    with runtime.db.transaction() as session:
        connection = session.connection()
        months.ensure_months(connection, datetime(2029, 1, 1, tzinfo=UTC), ahead=30)
        cutoff = (now - timedelta(days=365)).isoformat()
        plan = "\n".join(
            connection.execute(
                text(
                    f"EXPLAIN SELECT * FROM consent_record WHERE visitor_id = '{'a' * 32}' "
                    f"AND at > '{cutoff}' ORDER BY seq DESC LIMIT 1"
                )
            ).scalars()
        )
    assert "consent_record_2030_06" in plan
    assert "consent_record_2030_04" not in plan
    assert "consent_record_2029_01" not in plan
