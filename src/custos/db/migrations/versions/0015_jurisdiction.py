"""jurisdiction from the policy: zone, holidays, authority

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

Reserved for issue 13 (jurisdiction) so that the parts built side by side keep one linear history; empty until that part's
schema changes land.
"""

from __future__ import annotations

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
