"""access control: staff login state, custom roles, grants, sessions, API tokens, recovery codes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30

Art. 25 and 32: least privilege through scoped grants, multi-factor login, expiring sessions and tokens.
Secrets are stored only as hashes. Adding columns to `staff` uses ALTER TABLE ADD COLUMN on SQLite too
(no table copy), so the audit tables' triggers from 0002 are untouched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import custos.db.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_AT = custos.db.base.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_pending_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_enabled_at", _AT(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("locked_until", _AT(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_login_at", _AT(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("password_changed_at", _AT(timezone=True), nullable=True))

    op.create_table(
        "role",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("permissions", _JSON, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _AT(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_role_created_by_id_staff"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role")),
        sa.UniqueConstraint("name", name=op.f("uq_role_name")),
    )

    op.create_table(
        "access_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=60), nullable=False),
        sa.Column("scope", sa.String(length=120), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("granted_at", _AT(timezone=True), nullable=False),
        sa.Column("expires_at", _AT(timezone=True), nullable=True),
        sa.Column("revoked_at", _AT(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("last_used_at", _AT(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["granted_by_id"], ["staff.id"], name=op.f("fk_access_grant_granted_by_id_staff"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["staff.id"], name=op.f("fk_access_grant_revoked_by_id_staff"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_access_grant_staff_id_staff"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_grant")),
    )
    with op.batch_alter_table("access_grant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_grant_staff_id"), ["staff_id"], unique=False)

    op.create_table(
        "staff_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _AT(timezone=True), nullable=False),
        sa.Column("last_seen_at", _AT(timezone=True), nullable=False),
        sa.Column("expires_at", _AT(timezone=True), nullable=False),
        sa.Column("mfa_at", _AT(timezone=True), nullable=True),
        sa.Column("revoked_at", _AT(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_staff_session_staff_id_staff"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_session_token_hash")),
    )
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_session_staff_id"), ["staff_id"], unique=False)

    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("permissions", _JSON, nullable=False),
        sa.Column("scope", sa.String(length=120), nullable=False),
        sa.Column("created_at", _AT(timezone=True), nullable=False),
        sa.Column("expires_at", _AT(timezone=True), nullable=False),
        sa.Column("revoked_at", _AT(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("last_used_at", _AT(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["staff.id"], name=op.f("fk_api_token_owner_id_staff"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["staff.id"], name=op.f("fk_api_token_revoked_by_id_staff"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", _AT(timezone=True), nullable=False),
        sa.Column("used_at", _AT(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_recovery_code_staff_id_staff"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
        sa.UniqueConstraint("staff_id", "code_hash", name="uq_recovery_code_staff_hash"),
    )
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_code_staff_id"), ["staff_id"], unique=False)


def downgrade() -> None:
    for table in ("recovery_code", "api_token", "staff_session", "access_grant"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_{'owner_id' if table == 'api_token' else 'staff_id'}"))
        op.drop_table(table)
    op.drop_table("role")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        for column in (
            "password_changed_at",
            "last_login_at",
            "locked_until",
            "failed_logins",
            "totp_last_step",
            "totp_enabled_at",
            "totp_pending_secret",
            "totp_secret",
        ):
            batch_op.drop_column(column)
