"""data subject requests: cases, their steps and per-system tasks, verification, downloads

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29

Art. 12, 15–21: a request is a durable state machine (`subject_request`), its append-only history
(`subject_request_event`), one task per place the data lives (`subject_request_task`), one-time codes stored
hashed (`subject_request_code`) and expiring download links (`subject_request_download`). Only new tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import custos.db.base

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_AT = custos.db.base.UTCDateTime
_CHILDREN = ("subject_request_event", "subject_request_task", "subject_request_code", "subject_request_download")


def _request_fk(table: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["request_id"], ["subject_request.id"], name=op.f(f"fk_{table}_request_id_subject_request"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "subject_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=20), nullable=False),
        sa.Column("status_token_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("email_enc", sa.LargeBinary(), nullable=False),
        sa.Column("email_lookup", sa.LargeBinary(length=32), nullable=False),
        sa.Column("phone_enc", sa.LargeBinary(), nullable=True),
        sa.Column("organisation_enc", sa.LargeBinary(), nullable=True),
        sa.Column("details_enc", sa.LargeBinary(), nullable=True),
        sa.Column("processor_service", sa.String(length=60), nullable=True),
        sa.Column("received_at", _AT(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("extended_due_on", sa.Date(), nullable=True),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("extension_notified_at", _AT(timezone=True), nullable=True),
        sa.Column("pauses", _JSON, nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("person_ref", sa.String(length=36), nullable=True),
        sa.Column("approved_at", _AT(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("changes_enc", sa.LargeBinary(), nullable=True),
        sa.Column("outcome", _JSON, nullable=False),
        sa.Column("package_path", sa.String(length=500), nullable=True),
        sa.Column("reminders_sent", _JSON, nullable=False),
        sa.Column("created_at", _AT(timezone=True), nullable=False),
        sa.Column("updated_at", _AT(timezone=True), nullable=False),
        sa.Column("closed_at", _AT(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["staff.id"], name=op.f("fk_subject_request_assignee_id_staff"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_request")),
        sa.UniqueConstraint("ref", name=op.f("uq_subject_request_ref")),
        sa.UniqueConstraint("status_token_hash", name=op.f("uq_subject_request_status_token_hash")),
    )
    op.create_index(op.f("ix_subject_request_email_lookup"), "subject_request", ["email_lookup"], unique=False)
    op.create_index(op.f("ix_subject_request_assignee_id"), "subject_request", ["assignee_id"], unique=False)
    op.create_index("ix_subject_request_state_due", "subject_request", ["state", "due_on"], unique=False)
    op.create_table(
        "subject_request_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("at", _AT(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("from_state", sa.String(length=12), nullable=True),
        sa.Column("to_state", sa.String(length=12), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("details", _JSON, nullable=False),
        _request_fk("subject_request_event", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_request_event")),
    )
    op.create_table(
        "subject_request_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=60), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("system_task_id", sa.String(length=100), nullable=True),
        sa.Column("result", _JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated_at", _AT(timezone=True), nullable=False),
        _request_fk("subject_request_task", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_request_task")),
        sa.UniqueConstraint("request_id", "target", name="uq_subject_request_task_request_target"),
    )
    op.create_table(
        "subject_request_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", _AT(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", _AT(timezone=True), nullable=True),
        sa.Column("created_at", _AT(timezone=True), nullable=False),
        _request_fk("subject_request_code", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_request_code")),
    )
    op.create_table(
        "subject_request_download",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", _AT(timezone=True), nullable=False),
        sa.Column("downloads", sa.Integer(), nullable=False),
        sa.Column("last_download_at", _AT(timezone=True), nullable=True),
        sa.Column("created_at", _AT(timezone=True), nullable=False),
        _request_fk("subject_request_download", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_request_download")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_subject_request_download_token_hash")),
    )
    for table in _CHILDREN:
        op.create_index(op.f(f"ix_{table}_request_id"), table, ["request_id"], unique=False)


def downgrade() -> None:
    for table in reversed(_CHILDREN):
        op.drop_index(op.f(f"ix_{table}_request_id"), table_name=table)
        op.drop_table(table)
    op.drop_index("ix_subject_request_state_due", table_name="subject_request")
    op.drop_index(op.f("ix_subject_request_assignee_id"), table_name="subject_request")
    op.drop_index(op.f("ix_subject_request_email_lookup"), table_name="subject_request")
    op.drop_table("subject_request")
