"""Consent records by month: PostgreSQL partitions made ahead, and proof past its retention dropped by the month.

A consent record is proof of one choice (GDPR Art. 7(1)) and is kept for the policy's `consent.proof_retention`
(`proof_retention`), no longer (Art. 5(1)(e)). It goes a calendar month (UTC) at a time, once

- every record of the month is older than the retention (the month's end plus the retention has passed), and
- none of them is still in force (`expires_at` has passed for all of them).

The second rule is the one that keeps a visitor's current choice provable: their latest record stays while it
holds, however old; once it has expired it proves no choice in force and goes with its month. A month is so
kept at least the retention and at most the retention plus one month (plus, rarely, until its last consent
expires); it is never dropped early.

On PostgreSQL `consent_record` is partitioned by month of `at` (migration 0022): one table per month in the
schema `consent_months`, made `AHEAD` months ahead by the daily run, and a DEFAULT partition so an insert
never fails when a month is missing. Rows that landed there are moved into their month's table by the next run
(the default is detached, the months made, the rows copied back through the parent, the old default dropped:
no DELETE, which the append-only guard refuses). A month past its retention is dropped with `DROP TABLE`: DDL,
which only the table's owner may run, in the same transaction as its audit event. On SQLite there is one table
and the month's rows are deleted, the append-only trigger lifted for that transaction only and put back as it
was (SQLite's DDL is transactional, so nobody else ever sees the table unguarded).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text

from custos.actor import Actor
from custos.audit.actions import Action
from custos.policy import Policy
from custos.policy.durations import Duration, add_duration

if TYPE_CHECKING:
    from custos.runtime import Runtime
    from custos.work import Work

SCHEMA = "consent_months"
TABLE = "consent_record"
DEFAULT_PARTITION = "consent_record_default"
AHEAD = 3  # months made ahead of the current one; a run missed for a quarter still lands nowhere but in them
JOB_NAME = "consent-months"
_NO_DELETE = "consent_record_no_delete"  # migration 0007's SQLite guard
# Every column, in the parent's order, for copying rows from a detached default back through the parent.
_COLUMNS = (
    "seq, id, visitor_id, at, policy_version, policy_hash, inventory_hash, choices, kind, method, gpc, "
    "expires_at, ua_family"
)
_LOCK = 0x636F6E73  # "cons": one run at a time makes or drops months (pg_advisory_xact_lock)


def month_of(at: datetime) -> date:
    """The first day of the UTC month `at` falls in."""
    return at.astimezone(UTC).date().replace(day=1)


def next_month(month: date) -> date:
    return add_duration(month, Duration(months=1))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), UTC)


def partition_name(month: date) -> str:
    return f"consent_record_{month:%Y_%m}"


def proof_retention(policy: Policy) -> Duration:
    """How long a consent record is kept as proof: the policy's `consent.proof_retention`, or by default the
    consent's own lifetime (at most a year, as `custos.consent.terms` caps it) plus the general limitation
    period where the organisation is. A record is the organisation's defence for the processing done under it
    until the consent expires, and a claim about that processing can come until the limitation period has run
    from then (Art. 17(3)(e), 82; Preskriptionslag (1981:130) 2 § in Sweden: ten years)."""
    consent = policy.consent
    if consent is not None and consent.proof_retention is not None:
        return consent.proof_retention
    validity = Duration(days=365)
    if consent is not None and not consent.validity.longer_than(validity):
        validity = consent.validity
    years, _source = policy.jurisdiction.limitation
    return Duration(validity.years + years, validity.months, validity.weeks, validity.days)


def past_retention(month: date, retention: Duration, now: datetime) -> bool:
    """True once every record of `month` is older than the retention."""
    return _midnight(add_duration(next_month(month), retention)) <= now


def _months_between(first: date, last: date) -> list[date]:
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


# -- PostgreSQL: the partitions -------------------------------------------------------------------------------


def create_partition_sql(month: date) -> list[str]:
    """Make `month`'s partition (also run by migration 0022). Row triggers are cloned from the parent by
    PostgreSQL; a statement trigger is not, so TRUNCATE of the partition itself is refused here (as 0007)."""
    name = f"{SCHEMA}.{partition_name(month)}"
    start, end = _midnight(month).isoformat(), _midnight(next_month(month)).isoformat()
    return [
        f"CREATE TABLE {name} PARTITION OF {TABLE} FOR VALUES FROM ('{start}') TO ('{end}')",
        f"CREATE TRIGGER consent_record_no_truncate BEFORE TRUNCATE ON {name} "
        "FOR EACH STATEMENT EXECUTE FUNCTION custos_consent_record_append_only()",
    ]


def create_default_sql(name: str = DEFAULT_PARTITION) -> list[str]:
    qualified = f"{SCHEMA}.{name}"
    return [
        f"CREATE TABLE {qualified} PARTITION OF {TABLE} DEFAULT",
        f"CREATE TRIGGER consent_record_no_truncate BEFORE TRUNCATE ON {qualified} "
        "FOR EACH STATEMENT EXECUTE FUNCTION custos_consent_record_append_only()",
    ]


def partitions(connection: Connection) -> dict[date, str]:
    """The month partitions there are, by month (the DEFAULT partition is not one)."""
    rows = connection.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE i.inhparent = CAST(:parent AS regclass) AND n.nspname = :schema"
        ),
        {"parent": TABLE, "schema": SCHEMA},
    ).scalars()
    found = {}
    for name in rows:
        if name == DEFAULT_PARTITION:
            continue
        year, month = name.removeprefix("consent_record_").split("_")
        found[date(int(year), int(month), 1)] = name
    return found


def _months_in_default(connection: Connection) -> list[date]:
    rows = connection.execute(
        text(f"SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'UTC') FROM {SCHEMA}.{DEFAULT_PARTITION}")
    ).scalars()
    return sorted(row.date() for row in rows)


def ensure_months(connection: Connection, now: datetime, *, ahead: int = AHEAD) -> list[date]:
    """Make the partitions from this month to `ahead` months on, and move what landed in the DEFAULT partition
    into months of its own. PostgreSQL only; returns the months made."""
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
    made: list[date] = []
    stray = _months_in_default(connection)
    if stray:
        # A month cannot be added while the default holds rows of it; taken out, it is an ordinary table.
        connection.execute(text(f"ALTER TABLE {TABLE} DETACH PARTITION {SCHEMA}.{DEFAULT_PARTITION}"))
        connection.execute(text(f"ALTER TABLE {SCHEMA}.{DEFAULT_PARTITION} RENAME TO consent_record_default_old"))
        for month in stray:
            for statement in create_partition_sql(month):
                connection.execute(text(statement))
            made.append(month)
        for statement in create_default_sql():
            connection.execute(text(statement))
        connection.execute(
            text(f"INSERT INTO {TABLE} ({_COLUMNS}) SELECT {_COLUMNS} FROM {SCHEMA}.consent_record_default_old")
        )
        connection.execute(text(f"DROP TABLE {SCHEMA}.consent_record_default_old"))
    there = partitions(connection)
    first = month_of(now)
    for month in _months_between(first, add_duration(first, Duration(months=ahead))):
        if month not in there:
            for statement in create_partition_sql(month):
                connection.execute(text(statement))
            made.append(month)
    return sorted(made)


# -- dropping what is past its retention ----------------------------------------------------------------------


@dataclass(frozen=True)
class DroppedMonth:
    month: date
    records: int


def _facts(connection: Connection, where: str, params: Mapping[str, object]) -> tuple[int, datetime | None]:
    row = connection.execute(text(f"SELECT count(*), max(expires_at) FROM {where}"), params).one()
    count, newest = int(row[0]), row[1]
    if isinstance(newest, str):  # SQLite keeps text
        newest = datetime.fromisoformat(newest)
    if newest is not None and newest.tzinfo is None:
        newest = newest.replace(tzinfo=UTC)
    return count, newest


def _sqlite_months(connection: Connection, now: datetime, retention: Duration) -> list[date]:
    oldest = connection.execute(text(f"SELECT min(at) FROM {TABLE}")).scalar()
    if oldest is None:
        return []
    first = month_of(datetime.fromisoformat(oldest).replace(tzinfo=UTC) if isinstance(oldest, str) else oldest)
    return [m for m in _months_between(first, month_of(now)) if past_retention(m, retention, now)]


def _sqlite_delete(connection: Connection, month: date) -> None:
    guard = connection.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"), {"name": _NO_DELETE}
    ).scalar()
    if guard is not None:
        connection.execute(text(f"DROP TRIGGER {_NO_DELETE}"))
    connection.execute(
        text(f"DELETE FROM {TABLE} WHERE at >= :start AND at < :end"),
        {"start": _sqlite_time(_midnight(month)), "end": _sqlite_time(_midnight(next_month(month)))},
    )
    if guard is not None:
        connection.execute(text(guard))


def _sqlite_time(at: datetime) -> str:
    # As `UTCDateTime` stores it on SQLite (naive UTC, SQLAlchemy's text form), so text comparison is time order.
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def drop_expired(work: Work, retention: Duration) -> list[DroppedMonth]:
    """Drop every month past `retention` none of whose records is still in force; one audit event per month,
    in the same transaction as the drop."""
    connection = work.session.connection()
    now = work.clock.now()
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        ensure_months(connection, now)
        candidates = {m: n for m, n in partitions(connection).items() if past_retention(m, retention, now)}
    else:
        candidates = dict.fromkeys(_sqlite_months(connection, now, retention), TABLE)
    dropped: list[DroppedMonth] = []
    for month, name in sorted(candidates.items()):
        if postgres:
            count, newest = _facts(connection, f"{SCHEMA}.{name}", {})
        else:
            bounds = {"start": _sqlite_time(_midnight(month)), "end": _sqlite_time(_midnight(next_month(month)))}
            count, newest = _facts(connection, f"{TABLE} WHERE at >= :start AND at < :end", bounds)
            if count == 0:
                continue
        if newest is not None and newest > now:
            continue  # a record of it still holds: it is the proof of a choice in force (Art. 7(1))
        if postgres:
            if not dropped:
                # The parent first: DROP would take the month before the parent, and a reader holding the
                # parent and waiting for the month would then deadlock with us. Held until the commit.
                connection.execute(text(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE"))
            connection.execute(text(f"DROP TABLE {SCHEMA}.{name}"))
        else:
            _sqlite_delete(connection, month)
        work.audit(
            Action.CONSENT_MONTH_DROPPED,
            target=f"consent_month:{month:%Y-%m}",
            purpose="storage limitation, GDPR Art. 5(1)(e)",
            details={"month": f"{month:%Y-%m}", "records": count, "retention": str(retention)},
        )
        dropped.append(DroppedMonth(month, count))
    return dropped


def drop_expired_consent_months(runtime: Runtime) -> list[DroppedMonth]:
    """The daily run: make the coming months' partitions (PostgreSQL), then drop the months past the policy's
    proof retention. One unit of work, by the system."""
    with runtime.work(Actor.system(JOB_NAME)) as work:
        return drop_expired(work, proof_retention(work.policy))
