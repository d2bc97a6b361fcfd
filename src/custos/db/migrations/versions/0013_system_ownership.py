"""system ownership: unassigned tasks reach the privacy contact

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

Reserved for issue 13 (systems nobody owns) so that the parts built side by side keep one linear history; empty until that part's
schema changes land.
"""

from __future__ import annotations

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
