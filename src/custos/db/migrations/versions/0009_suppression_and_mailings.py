"""suppression list, restrictions, selections and mailings

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29

Reserved for issue 9 (mailings) so that the areas built side by side keep one linear history; empty until that area's
tables land.
"""

from __future__ import annotations

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
