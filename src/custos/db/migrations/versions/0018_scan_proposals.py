"""data maps proposed by a scan, confirmed in the admin

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03

Issue 14: a member with `systems.manage` scans a connected SQL system from the admin, accepts or rejects each
proposed table (adjusting categories, identity columns and the erasure rule), and confirms. `system_scan` is
one scan and, once confirmed, the mapping text it wrote and the text it replaced; `system_scan_table` is one
proposed table with what was chosen for it. No sampled values are stored, only table and column names.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import custos.db.base

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "system_scan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.String(length=80), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("schema_name", sa.String(length=120), nullable=True),
        sa.Column("left_out", _JSON, nullable=False),
        sa.Column("started_by", sa.String(length=100), nullable=False),
        sa.Column("started_at", custos.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", custos.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("mapping_text", sa.Text(), nullable=True),
        sa.Column("replaced_text", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system_scan")),
    )
    with op.batch_alter_table("system_scan", schema=None) as batch_op:
        batch_op.create_index("ix_system_scan_system", ["system_id", "id"], unique=False)
    op.create_table(
        "system_scan_table",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("proposal", _JSON, nullable=False),
        sa.Column("chosen", _JSON, nullable=True),
        sa.ForeignKeyConstraint(
            ["scan_id"],
            ["system_scan.id"],
            name=op.f("fk_system_scan_table_scan_id_system_scan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system_scan_table")),
        sa.UniqueConstraint("scan_id", "name", name="uq_system_scan_table_once"),
    )


def downgrade() -> None:
    op.drop_table("system_scan_table")
    with op.batch_alter_table("system_scan", schema=None) as batch_op:
        batch_op.drop_index("ix_system_scan_system")
    op.drop_table("system_scan")
