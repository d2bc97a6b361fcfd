"""consent records partitioned by month on PostgreSQL; nothing changes on SQLite

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04

Consent proof is kept for the policy's `consent.proof_retention` and then goes a whole month at a time
(custos.consent.months): on PostgreSQL as `DROP TABLE` of the month's partition, which neither rewrites the table
nor needs the row-by-row DELETE the append-only guard of 0007 refuses; that guard stays as it was, on every
partition. Steps, in one transaction (consent writes wait for it; a large table takes a while to copy):

1. The table and its constraints and indexes are renamed out of the way.
2. `consent_record` is made again, `PARTITION BY RANGE (at)`, with one partition per month (UTC) from the
   oldest record's to `AHEAD` months ahead, in the schema `consent_months` (kept apart so the schema checks
   and reflection of the main schema see the one table the models describe), and a DEFAULT partition so an
   insert never fails for want of a month.
3. The rows are copied, the old table dropped. `seq` keeps its sequence, now 64-bit.
4. The keys and indexes are made (after the copy, which is faster): PostgreSQL wants the partition column in
   every unique constraint, so the primary key is (`seq`, `at`) and `id` is unique with `at`. Every query by
   `seq` still has an index that leads with it (the primary key's, in each partition).
5. The append-only triggers of 0007 are put on the new table (row triggers reach every partition; the
   TRUNCATE trigger is put on each partition too, since statement triggers are not inherited).

SQLite keeps its one table as it is (its months go by DELETE, see custos.consent.months).
"""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import op
from sqlalchemy import text

from custos.consent.months import (
    AHEAD,
    SCHEMA,
    create_default_sql,
    create_partition_sql,
    month_of,
    next_month,
)

revision = "0022"
# 0021 was kept for the job queue, which needs none: procrastinate's schema is made by `custos init` from the
# installed package (docs/deployment.md).
down_revision = "0020"
branch_labels = None
depends_on = None

_OLD = "consent_record_unpartitioned"
_COLUMNS = (
    "seq, id, visitor_id, at, policy_version, policy_hash, inventory_hash, choices, kind, method, gpc, "
    "expires_at, ua_family"
)
# Names as 0005 gave them (and the models' naming convention): freed on the old table before the new one takes them.
_OLD_NAMES = (
    ("CONSTRAINT", "pk_consent_record"),
    ("CONSTRAINT", "uq_consent_record_id"),
    ("INDEX", "ix_consent_record_visitor"),
    ("INDEX", "ix_consent_record_at"),
)
_TRIGGERS = (
    "CREATE TRIGGER consent_record_append_only BEFORE UPDATE OR DELETE ON consent_record "
    "FOR EACH ROW EXECUTE FUNCTION custos_consent_record_append_only()",
    "CREATE TRIGGER consent_record_no_truncate BEFORE TRUNCATE ON consent_record "
    "FOR EACH STATEMENT EXECUTE FUNCTION custos_consent_record_append_only()",
)


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _rename_away(table: str, suffix: str) -> None:
    op.execute(f"ALTER TABLE consent_record RENAME TO {table}")
    for kind, name in _OLD_NAMES:
        if kind == "CONSTRAINT":
            op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {name} TO {name}_{suffix}")
        else:
            op.execute(f"ALTER INDEX {name} RENAME TO {name}_{suffix}")


def upgrade() -> None:
    if not _postgres():
        return
    bind = op.get_bind()
    _rename_away(_OLD, "old")
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    op.execute(
        """
        CREATE TABLE consent_record (
            seq BIGINT NOT NULL DEFAULT nextval('consent_record_seq_seq'),
            id VARCHAR(32) NOT NULL,
            visitor_id VARCHAR(32) NOT NULL,
            at TIMESTAMP WITH TIME ZONE NOT NULL,
            policy_version DATE NOT NULL,
            policy_hash VARCHAR(64) NOT NULL,
            inventory_hash VARCHAR(64) NOT NULL,
            choices JSONB NOT NULL,
            kind VARCHAR(12) NOT NULL,
            method VARCHAR(10) NOT NULL,
            gpc BOOLEAN NOT NULL,
            expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
            ua_family VARCHAR(20)
        ) PARTITION BY RANGE (at)
        """
    )
    op.execute("ALTER SEQUENCE consent_record_seq_seq AS BIGINT OWNED BY consent_record.seq")
    oldest = bind.execute(text(f"SELECT min(at) FROM {_OLD}")).scalar()
    now = datetime.now(UTC)
    month = month_of(oldest if oldest is not None and oldest < now else now)
    last = month_of(now)
    for _ in range(AHEAD):
        last = next_month(last)
    while month <= last:
        for statement in create_partition_sql(month):
            op.execute(statement)
        month = next_month(month)
    for statement in create_default_sql():
        op.execute(statement)
    op.execute(f"INSERT INTO consent_record ({_COLUMNS}) SELECT {_COLUMNS} FROM {_OLD}")
    op.execute(f"DROP TABLE {_OLD}")
    op.execute("ALTER TABLE consent_record ADD CONSTRAINT pk_consent_record PRIMARY KEY (seq, at)")
    op.execute("ALTER TABLE consent_record ADD CONSTRAINT uq_consent_record_id_at UNIQUE (id, at)")
    op.execute("CREATE INDEX ix_consent_record_visitor ON consent_record (visitor_id, seq)")
    op.execute("CREATE INDEX ix_consent_record_at ON consent_record (at)")
    for statement in _TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    """Back to one table (as 0005 made it, with 0007's triggers); every row kept, none dropped."""
    if not _postgres():
        return
    _partitioned = "consent_record_partitioned"
    op.execute(f"ALTER TABLE consent_record RENAME TO {_partitioned}")
    op.execute(f"ALTER TABLE {_partitioned} RENAME CONSTRAINT pk_consent_record TO pk_consent_record_partitioned")
    op.execute(f"ALTER TABLE {_partitioned} RENAME CONSTRAINT uq_consent_record_id_at TO uq_consent_record_id_at_p")
    op.execute("ALTER INDEX ix_consent_record_visitor RENAME TO ix_consent_record_visitor_partitioned")
    op.execute("ALTER INDEX ix_consent_record_at RENAME TO ix_consent_record_at_partitioned")
    op.execute(
        """
        CREATE TABLE consent_record (
            seq INTEGER NOT NULL DEFAULT nextval('consent_record_seq_seq'),
            id VARCHAR(32) NOT NULL,
            visitor_id VARCHAR(32) NOT NULL,
            at TIMESTAMP WITH TIME ZONE NOT NULL,
            policy_version DATE NOT NULL,
            policy_hash VARCHAR(64) NOT NULL,
            inventory_hash VARCHAR(64) NOT NULL,
            choices JSONB NOT NULL,
            kind VARCHAR(12) NOT NULL,
            method VARCHAR(10) NOT NULL,
            gpc BOOLEAN NOT NULL,
            expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
            ua_family VARCHAR(20),
            CONSTRAINT pk_consent_record PRIMARY KEY (seq),
            CONSTRAINT uq_consent_record_id UNIQUE (id)
        )
        """
    )
    op.execute(f"INSERT INTO consent_record ({_COLUMNS}) SELECT {_COLUMNS} FROM {_partitioned}")
    op.execute("ALTER SEQUENCE consent_record_seq_seq AS INTEGER OWNED BY consent_record.seq")
    op.execute(f"DROP TABLE {_partitioned}")  # its partitions go with it
    op.execute(f"DROP SCHEMA {SCHEMA}")
    op.execute("CREATE INDEX ix_consent_record_visitor ON consent_record (visitor_id, seq)")
    op.execute("CREATE INDEX ix_consent_record_at ON consent_record (at)")
    for statement in _TRIGGERS:
        op.execute(statement)
