"""CSV files uploaded in the admin, held encrypted between the check and the import

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03

One table, `import_upload` (`register.upload_models`): the uploaded file, its rejects and problems encrypted
with the register's keys, the uploading staff member, the import's state and counts. Rows expire within hours.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import custos.db.base

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "import_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=36), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("bad", sa.Integer(), nullable=False),
        sa.Column("name_enc", sa.LargeBinary(), nullable=False),
        sa.Column("content_enc", sa.LargeBinary(), nullable=True),
        sa.Column("rejects_enc", sa.LargeBinary(), nullable=True),
        sa.Column("problems_enc", sa.LargeBinary(), nullable=True),
        sa.Column("error_enc", sa.LargeBinary(), nullable=True),
        sa.Column("report", _JSON, nullable=True),
        sa.Column("created_at", custos.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", custos.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", custos.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", custos.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_import_upload_staff_id_staff"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_upload")),
        sa.UniqueConstraint("ref", name=op.f("uq_import_upload_ref")),
    )
    op.create_index(op.f("ix_import_upload_staff_id"), "import_upload", ["staff_id"], unique=False)
    op.create_index(op.f("ix_import_upload_state"), "import_upload", ["state"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_import_upload_state"), table_name="import_upload")
    op.drop_index(op.f("ix_import_upload_staff_id"), table_name="import_upload")
    op.drop_table("import_upload")
