"""connected systems: inventory, per-system erasure outcomes, manual tasks

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

Reserved for issue 6 (systems) so that the areas built side by side keep one linear history; empty until that area's
tables land.
"""

from __future__ import annotations

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
