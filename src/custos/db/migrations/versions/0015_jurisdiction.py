"""jurisdiction from the policy: zone, holidays, authority

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

Issue 13 (jurisdiction) needs no schema change: the zone, holidays, phone region and languages are read from the
policy file (custos.jurisdiction), and every time is stored as UTC already. Kept, empty, so the history of the
parts built side by side stays linear.
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
