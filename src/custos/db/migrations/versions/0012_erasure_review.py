"""erasure review: an assessment step before an irreversible erasure, and what an erasure keeps

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

Art. 17(3): an erasure request that touches an activity the policy marks for review waits in the new state
`assessing` until staff decide per category (`subject_request.assessment`); what the erasure keeps is fixed
when its work is planned (`subject_request.keep`), and every instruction follows it: a manual task lists the
categories to keep beside those to erase (`system_task.kept`), and a connected system's erasure keeps the
same on a retry (`system_run.keep`). Only new nullable columns.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_COLUMNS = (
    ("subject_request", "assessment"),
    ("subject_request", "keep"),
    ("system_task", "kept"),
    ("system_run", "keep"),
)


def upgrade() -> None:
    for table, column in _COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, _JSON, nullable=True))


def downgrade() -> None:
    for table, column in reversed(_COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
