"""connected systems: inventory, per-system erasure outcomes, manual tasks

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

Issue 6: the operational state of connected systems (what a system is stays in the policy file): an owner
set in the admin UI, the outcome of each export/erasure per system and person, the tasks of manual systems,
and the encrypted identities a retention task keeps until its system steps are done. Only new tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import custos.db.base

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_AT = custos.db.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "system_state",
        sa.Column("system_id", sa.String(length=80), nullable=False),
        sa.Column("owner", sa.String(length=254), nullable=True),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", _AT(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("system_id", name=op.f("pk_system_state")),
    )
    op.create_table(
        "system_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.String(length=80), nullable=False),
        sa.Column("subject_ref", sa.String(length=36), nullable=False),
        sa.Column("cause", sa.String(length=100), nullable=False),
        sa.Column("operation", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("counts", _JSON, nullable=False),
        sa.Column("kept", _JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("keys_enc", sa.LargeBinary(), nullable=True),
        sa.Column("started_at", _AT(timezone=True), nullable=False),
        sa.Column("finished_at", _AT(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system_run")),
        sa.UniqueConstraint("system_id", "subject_ref", "cause", "operation", name="uq_system_run_once"),
    )
    op.create_index("ix_system_run_status", "system_run", ["status", "operation", "id"], unique=False)
    op.create_index("ix_system_run_recent", "system_run", ["system_id", "id"], unique=False)
    op.create_table(
        "system_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.String(length=80), nullable=False),
        sa.Column("subject_ref", sa.String(length=36), nullable=False),
        sa.Column("cause", sa.String(length=100), nullable=False),
        sa.Column("operation", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("owner", sa.String(length=254), nullable=True),
        sa.Column("identities_enc", sa.LargeBinary(), nullable=True),
        sa.Column("categories", _JSON, nullable=False),
        sa.Column("created_at", _AT(timezone=True), nullable=False),
        sa.Column("notified_at", _AT(timezone=True), nullable=True),
        sa.Column("done_at", _AT(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=100), nullable=True),
        sa.Column("done_fields", _JSON, nullable=False),
        sa.Column("done_records", sa.Integer(), nullable=True),
        sa.Column("note_enc", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system_task")),
        sa.UniqueConstraint("system_id", "subject_ref", "cause", "operation", name="uq_system_task_once"),
    )
    op.create_index("ix_system_task_open", "system_task", ["state", "system_id", "id"], unique=False)
    op.create_table(
        "system_subject_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(length=100), nullable=False),
        sa.Column("subject_ref", sa.String(length=36), nullable=False),
        sa.Column("keys_enc", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _AT(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system_subject_keys")),
        sa.UniqueConstraint("cause", "subject_ref", name="uq_system_subject_keys_once"),
    )


def downgrade() -> None:
    op.drop_table("system_subject_keys")
    op.drop_index("ix_system_task_open", table_name="system_task")
    op.drop_table("system_task")
    op.drop_index("ix_system_run_recent", table_name="system_run")
    op.drop_index("ix_system_run_status", table_name="system_run")
    op.drop_table("system_run")
    op.drop_table("system_state")
