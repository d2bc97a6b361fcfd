"""reserved for the incident forms in the admin

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03

Reserved for issue 14 so the parts built side by side keep one linear history; its part fills it in, or says
here why it needed no schema change.
"""

from __future__ import annotations

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
