"""audit log: append-only, hash-chained events and their head

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30

The database itself refuses to change or remove audit events (Art. 32 security of processing, Art. 5(2)
accountability): triggers reject UPDATE, DELETE and, on PostgreSQL, TRUNCATE, whoever the role. The hash
chain (custos.audit.verify) detects whatever gets past them, e.g. a superuser disabling the triggers.

A deployment can go further and take the privileges away from the role Custos connects as, leaving the
tables to a separate owner role (run as that owner or a superuser):

    REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM custos_app;
    REVOKE DELETE, TRUNCATE ON audit_head FROM custos_app;
    GRANT SELECT, INSERT ON audit_event TO custos_app;
    GRANT SELECT, UPDATE ON audit_head TO custos_app;

Then even a compromised application cannot disable the triggers (only the owner may ALTER the table).

SQLite has no roles; BEFORE UPDATE/DELETE triggers raise instead. A later migration that rebuilds
audit_event on SQLite (batch mode copies the table) must create these triggers again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import custos.db.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_GENESIS = "0" * 64
_MESSAGE = "audit_event is append-only: % is refused (audit events are evidence, GDPR Art. 5(2), 32)"

_PG_FUNCTIONS = [
    f"""
    CREATE FUNCTION custos_audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{_MESSAGE}', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$
    """,
    # The head may only move forward, by appends; deleting it would hide deleted newest events.
    """
    CREATE FUNCTION custos_audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.last_seq >= OLD.last_seq AND NEW.count >= OLD.count THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_head only moves forward: % is refused (GDPR Art. 5(2), 32)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END $$
    """,
]
_PG_TRIGGERS = [
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION custos_audit_event_append_only()",
    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
    "FOR EACH STATEMENT EXECUTE FUNCTION custos_audit_event_append_only()",
    "CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON audit_head "
    "FOR EACH ROW EXECUTE FUNCTION custos_audit_head_forward_only()",
    "CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
    "FOR EACH STATEMENT EXECUTE FUNCTION custos_audit_head_forward_only()",
]
_SQLITE_TRIGGERS = [
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event BEGIN "
    "SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE is refused (GDPR Art. 5(2), 32)'); END",
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event BEGIN "
    "SELECT RAISE(ABORT, 'audit_event is append-only: DELETE is refused (GDPR Art. 5(2), 32)'); END",
    "CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head "
    "WHEN NEW.last_seq < OLD.last_seq OR NEW.count < OLD.count BEGIN "
    "SELECT RAISE(ABORT, 'audit_head only moves forward: UPDATE is refused (GDPR Art. 5(2), 32)'); END",
    "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head BEGIN "
    "SELECT RAISE(ABORT, 'audit_head only moves forward: DELETE is refused (GDPR Art. 5(2), 32)'); END",
]


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False),
        sa.Column("at", custos.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=100), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=36), nullable=True),
        sa.Column("target", sa.String(length=100), nullable=True),
        sa.Column("purpose", sa.String(length=200), nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("details_json", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_event")),
    )
    op.create_index("ix_audit_event_at", "audit_event", ["at"], unique=False)
    op.create_index("ix_audit_event_subject", "audit_event", ["subject"], unique=False)
    op.create_index("ix_audit_event_actor", "audit_event", ["actor_kind", "actor_id"], unique=False)
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.bulk_insert(head, [{"id": 1, "last_seq": 0, "last_hash": _GENESIS, "count": 0}])
    if op.get_bind().dialect.name == "postgresql":
        for statement in [*_PG_FUNCTIONS, *_PG_TRIGGERS]:
            op.execute(statement)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE audit_head")
        op.execute("DROP TABLE audit_event")
        op.execute("DROP FUNCTION custos_audit_head_forward_only()")
        op.execute("DROP FUNCTION custos_audit_event_append_only()")
        return
    for name in ("audit_head_no_delete", "audit_head_forward_only", "audit_event_no_delete", "audit_event_no_update"):
        op.execute(f"DROP TRIGGER {name}")
    op.drop_index("ix_audit_event_actor", table_name="audit_event")
    op.drop_index("ix_audit_event_subject", table_name="audit_event")
    op.drop_index("ix_audit_event_at", table_name="audit_event")
    op.drop_table("audit_head")
    op.drop_table("audit_event")
