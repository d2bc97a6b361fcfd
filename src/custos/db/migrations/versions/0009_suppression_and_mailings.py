"""suppression list, restrictions, selections and mailings

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29

Art. 21(2)–(3): the suppression list, keyed by the register's blind index so a re-import stays excluded;
Art. 18: restrictions of processing; selections, mailings and one delivery row per recipient (resumable sends).
Only new tables and indexes (three on `relationship` for the retention prefilter).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import custos.db.base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_AT = custos.db.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "suppression",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("lookup", sa.LargeBinary(length=32), nullable=False),
        sa.Column("value_enc", sa.LargeBinary(), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("created_at", _AT(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppression")),
        sa.UniqueConstraint("kind", "lookup", name="uq_suppression_kind_lookup"),
    )
    op.create_table(
        "restriction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("restricted_at", _AT(timezone=True), nullable=False),
        sa.Column("restricted_by", sa.String(length=100), nullable=False),
        sa.Column("lifted_at", _AT(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(length=100), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_restriction_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restriction")),
    )
    op.create_index("ix_restriction_person_lifted", "restriction", ["person_id", "lifted_at"], unique=False)
    op.create_table(
        "selection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("criteria", _JSON, nullable=False),
        sa.Column("created_at", _AT(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selection")),
    )
    op.create_table(
        "mailing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("selection_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", _AT(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("started_at", _AT(timezone=True), nullable=True),
        sa.Column("finished_at", _AT(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["selection_id"], ["selection.id"], name=op.f("fk_mailing_selection_id_selection"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailing")),
    )
    op.create_index(op.f("ix_mailing_selection_id"), "mailing", ["selection_id"], unique=False)
    op.create_table(
        "mailing_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailing_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.Column("sent_at", _AT(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["mailing_id"], ["mailing.id"], name=op.f("fk_mailing_delivery_mailing_id_mailing"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_mailing_delivery_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailing_delivery")),
        sa.UniqueConstraint("mailing_id", "person_id", name="uq_mailing_delivery_mailing_id"),
        sa.UniqueConstraint("token_hash", name=op.f("uq_mailing_delivery_token_hash")),
    )
    op.create_index(op.f("ix_mailing_delivery_person_id"), "mailing_delivery", ["person_id"], unique=False)
    op.create_index("ix_mailing_delivery_mailing_status", "mailing_delivery", ["mailing_id", "status"], unique=False)
    # The retention prefilter per activity and anchor, so the dashboard's 30/90-day counts read only what may be due.
    op.create_index("ix_relationship_activity_last_interaction", "relationship", ["activity", "last_interaction_on"])
    op.create_index("ix_relationship_activity_ended", "relationship", ["activity", "ended_on"])
    op.create_index("ix_relationship_activity_collected", "relationship", ["activity", "collected_on"])


def downgrade() -> None:
    op.drop_index("ix_relationship_activity_collected", table_name="relationship")
    op.drop_index("ix_relationship_activity_ended", table_name="relationship")
    op.drop_index("ix_relationship_activity_last_interaction", table_name="relationship")
    op.drop_table("mailing_delivery")
    op.drop_table("mailing")
    op.drop_table("selection")
    op.drop_index("ix_restriction_person_lifted", table_name="restriction")
    op.drop_table("restriction")
    op.drop_table("suppression")
