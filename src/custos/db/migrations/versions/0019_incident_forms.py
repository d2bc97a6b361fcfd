"""the incident forms in the admin: no schema change

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03

Reserved for issue 14 so the parts built side by side keep one linear history. The admin's breach journey
(opening, timeline entries, risk, decision, notification, the Art. 33(3) document in English and Swedish, the
Art. 34 letters or their exception, the customers told, closing) drives the incident service that the API and
the CLI already use, over the tables of the breach register as they are: the document is built on demand in the
language asked for and audited as generated, the notification keeps the document as sent, and the list's
filters are computed from the state, the decision, the authority's notifications and `aware_at`. So this
revision is empty, kept only to hold its place in the chain.
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
