"""erasure review: an assessment step before an irreversible erasure

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

Reserved for issue 13 (erasure and legal retention) so that the parts built side by side keep one linear history; empty until that part's
schema changes land.
"""

from __future__ import annotations

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
