"""register: every relationship falls due, contacts' own role end

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

Reserved for issue 13 (records that never fall due) so that the parts built side by side keep one linear history; empty until that part's
schema changes land.
"""

from __future__ import annotations

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
