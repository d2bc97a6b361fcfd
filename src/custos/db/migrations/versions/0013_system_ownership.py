"""system ownership: unassigned tasks reach the privacy contact

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

Issue 13 (systems nobody owns): a manual system's task opened while nobody can do it is escalated to the
policy's privacy contact; `system_task.escalated_at` records when, so a sweep opening a thousand tasks in an
unowned system sends one email a day, not a thousand.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import custos.db.base

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("system_task") as batch:
        batch.add_column(sa.Column("escalated_at", custos.db.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("system_task") as batch:
        batch.drop_column("escalated_at")
