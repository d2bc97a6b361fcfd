"""consent records: proof of each cookie choice

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

GDPR Art. 7(1): the controller must be able to show that the visitor consented, to what version of the
notice and cookie inventory, and when; refusals and withdrawals (Art. 7(3)) are kept as well. One new table;
no existing table is touched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import custos.db.base

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_AT = custos.db.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "consent_record",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("visitor_id", sa.String(length=32), nullable=False),
        sa.Column("at", _AT(timezone=True), nullable=False),
        sa.Column("policy_version", sa.Date(), nullable=False),
        sa.Column("policy_hash", sa.String(length=64), nullable=False),
        sa.Column("inventory_hash", sa.String(length=64), nullable=False),
        sa.Column("choices", _JSON, nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("gpc", sa.Boolean(), nullable=False),
        sa.Column("expires_at", _AT(timezone=True), nullable=False),
        sa.Column("ua_family", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_consent_record")),
        sa.UniqueConstraint("id", name=op.f("uq_consent_record_id")),
    )
    op.create_index("ix_consent_record_visitor", "consent_record", ["visitor_id", "seq"], unique=False)
    op.create_index("ix_consent_record_at", "consent_record", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_consent_record_at", table_name="consent_record")
    op.drop_index("ix_consent_record_visitor", table_name="consent_record")
    op.drop_table("consent_record")
