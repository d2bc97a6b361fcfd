"""the blind index of name tokens (people search by name)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03

One table, `person_name_token`: each normalised word of a person's name as a keyed HMAC (`register.name_index`),
so the admin can find people by name while names stay encrypted. A migration has no key, so it cannot fill the
table for people already in the register: `custos people reindex` does, once, after upgrading. Every write of a
name from then on (the register, the import, a rectification, a key rotation) keeps the table in step itself.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_name_token",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_person_name_token_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("person_id", "token", name=op.f("pk_person_name_token")),
    )
    op.create_index("ix_person_name_token_token", "person_name_token", ["token"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_person_name_token_token", table_name="person_name_token")
    op.drop_table("person_name_token")
