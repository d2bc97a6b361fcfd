"""the blind index of name tokens (people search by name)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03

Reserved for issue 14 so the parts built side by side keep one linear history; its part fills it in, or says
here why it needed no schema change.
"""

from __future__ import annotations

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
