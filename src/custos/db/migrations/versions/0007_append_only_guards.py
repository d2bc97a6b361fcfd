"""append-only guards: consent records, retention tombstones, the incident timeline

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

Reserved for issue 5 (consent) so that the areas built side by side keep one linear history; empty until that area's
tables land.
"""

from __future__ import annotations

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
