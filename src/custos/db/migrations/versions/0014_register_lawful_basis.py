"""register: every relationship falls due, contacts' own role end

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

Issue 13 (records that never fall due) needs no schema change, so this revision is empty on purpose. Which date
a relationship's retention counts from depends on the policy (`register.lawful`), and a migration must not read
the policy: relationships written before the register required that date are filled in by
`custos people settle-dates`, and `custos doctor` lists the ones only a person can fix.
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
