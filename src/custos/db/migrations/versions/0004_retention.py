"""retention engine and job runner: legal holds, sweeps, tasks, tombstones, job schedule

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Art. 5(1)(e) storage limitation, enforced by a durable sweep (a state machine in rows), with tombstones as
proof of erasure (Art. 5(2)) and legal holds for data needed for legal claims (Art. 17(3)(e)). Only new
tables and indexes: no existing table is rebuilt, so the audit tables' SQLite triggers (0002) are untouched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import custos.db.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_AT = custos.db.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "job_run",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("due_at", _AT(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_expires_at", _AT(timezone=True), nullable=True),
        sa.Column("last_started_at", _AT(timezone=True), nullable=True),
        sa.Column("last_finished_at", _AT(timezone=True), nullable=True),
        sa.Column("last_outcome", sa.String(length=20), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_run")),
    )
    op.create_table(
        "retention_sweep",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("started_at", _AT(timezone=True), nullable=False),
        sa.Column("finished_at", _AT(timezone=True), nullable=True),
        sa.Column("plan_cursor", sa.Integer(), nullable=False),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.Column("erased", sa.Integer(), nullable=False),
        sa.Column("trimmed", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("released", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_sweep")),
    )
    op.create_index("ix_retention_sweep_state", "retention_sweep", ["state"], unique=False)
    op.create_table(
        "legal_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("person_ref", sa.String(length=36), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", _AT(timezone=True), nullable=False),
        sa.Column("released_at", _AT(timezone=True), nullable=True),
        sa.Column("released_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_legal_hold_organisation_id_organisation"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_legal_hold_person_id_person"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_hold")),
    )
    op.create_index(op.f("ix_legal_hold_organisation_id"), "legal_hold", ["organisation_id"], unique=False)
    # Indexed so that deleting a person (ON DELETE SET NULL) does not scan the holds.
    op.create_index(op.f("ix_legal_hold_person_id"), "legal_hold", ["person_id"], unique=False)
    op.create_table(
        "retention_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sweep_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("person_ref", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("relationship_ids", _JSON, nullable=False),
        sa.Column("steps", _JSON, nullable=False),
        sa.Column("tombstone_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=100), nullable=True),
        sa.Column("done_at", _AT(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["sweep_id"],
            ["retention_sweep.id"],
            name=op.f("fk_retention_task_sweep_id_retention_sweep"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_task")),
        sa.UniqueConstraint("sweep_id", "person_id", name="uq_retention_task_sweep_person"),
    )
    op.create_index("ix_retention_task_pending", "retention_task", ["sweep_id", "state", "id"], unique=False)
    op.create_table(
        "tombstone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sweep_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("subject_ref", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("retained_until", sa.Date(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("erased_at", _AT(timezone=True), nullable=False),
        sa.Column("counts", _JSON, nullable=False),
        sa.Column("entries", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["sweep_id"],
            ["retention_sweep.id"],
            name=op.f("fk_tombstone_sweep_id_retention_sweep"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tombstone")),
        sa.UniqueConstraint("task_id", name=op.f("uq_tombstone_task_id")),
    )
    op.create_index("ix_tombstone_retained", "tombstone", ["state", "retained_until"], unique=False)
    op.create_index(op.f("ix_tombstone_subject_ref"), "tombstone", ["subject_ref"], unique=False)
    op.create_index(op.f("ix_tombstone_sweep_id"), "tombstone", ["sweep_id"], unique=False)


def downgrade() -> None:
    for index, table in (
        ("ix_tombstone_sweep_id", "tombstone"),
        ("ix_tombstone_subject_ref", "tombstone"),
        ("ix_tombstone_retained", "tombstone"),
        ("ix_retention_task_pending", "retention_task"),
        ("ix_legal_hold_person_id", "legal_hold"),
        ("ix_legal_hold_organisation_id", "legal_hold"),
        ("ix_retention_sweep_state", "retention_sweep"),
    ):
        op.drop_index(index, table_name=table)
    for table in ("tombstone", "retention_task", "legal_hold", "retention_sweep", "job_run"):
        op.drop_table(table)
