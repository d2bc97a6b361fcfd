"""grant approvals: four eyes on grants that reach personal data

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

Art. 32(4), separation of duties: a grant whose role reads, changes, exports or erases personal data, or
that goes beyond what its granter holds, is proposed (`status` "pending") and gives nothing until a second
member who holds that role within that scope approves it (`decided_by_id`, `decided_at`) before
`pending_until`. `approval` records why a grant is in force. Grants made before this revision stay in force
and are marked "unrecorded" (the access review and `custos doctor` list those that reach personal data);
`custos init`'s first grant to the first administrator is marked "bootstrap", the one recorded exception.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import custos.db.base

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_AT = custos.db.base.UTCDateTime


def upgrade() -> None:
    # SQLite cannot add a foreign key in place, so batch mode copies access_grant (no triggers, nothing
    # refers to it).
    with op.batch_alter_table("access_grant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=20), server_default="active", nullable=False))
        batch_op.add_column(sa.Column("approval", sa.String(length=20), server_default="unrecorded", nullable=False))
        batch_op.add_column(sa.Column("pending_until", _AT(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decided_at", _AT(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_access_grant_decided_by_id_staff"), "staff", ["decided_by_id"], ["id"], ondelete="SET NULL"
        )
    # The first administrator's grant from `custos init`: granted by nobody, dpo for everything.
    op.execute(
        "UPDATE access_grant SET approval = 'bootstrap' WHERE id = (SELECT MIN(g.id) FROM access_grant g "
        "JOIN staff s ON s.id = g.staff_id WHERE s.is_bootstrap_admin AND g.granted_by_id IS NULL "
        "AND g.role = 'dpo' AND g.scope = '*')"
    )


def downgrade() -> None:
    # Going back to a schema without four eyes must not turn a proposal into access: pending and rejected
    # grants end (revoked at the time of the downgrade) before the columns go.
    op.execute("UPDATE access_grant SET revoked_at = CURRENT_TIMESTAMP WHERE status <> 'active' AND revoked_at IS NULL")
    with op.batch_alter_table("access_grant", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_access_grant_decided_by_id_staff"), type_="foreignkey")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by_id")
        batch_op.drop_column("pending_until")
        batch_op.drop_column("approval")
        batch_op.drop_column("status")
