"""grant approvals: four eyes on grants that reach personal data

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

Reserved for issue 13 (separation of duties) so that the parts built side by side keep one linear history; empty until that part's
schema changes land.
"""

from __future__ import annotations

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
