"""data subject requests: cases, their steps and per-system tasks, verification, downloads

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29

Reserved for issue 7 (requests) so that the areas built side by side keep one linear history; empty until that area's
tables land.
"""

from __future__ import annotations

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
