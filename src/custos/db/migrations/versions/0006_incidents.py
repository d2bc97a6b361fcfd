"""personal data breaches: incidents, their timeline, notifications, letters to subjects, processor customers

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Art. 33(5): a record of every breach, notified or not; Art. 33(1)–(4) notifications to the authority in
phases; Art. 34 letters to the subjects, by person ref; Art. 33(2), 28(3)(f) the customers told as processor.
Foreign keys to `incident` are RESTRICT: incidents are never deleted. Only new tables and indexes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import custos.db.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_AT = custos.db.base.UTCDateTime


def _incident_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["incident_id"], ["incident.id"], name=op.f(f"fk_{table}_incident_id_incident"), ondelete="RESTRICT"
    )


def upgrade() -> None:
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", _AT(timezone=True), nullable=True),
        sa.Column("aware_at", _AT(timezone=True), nullable=False),
        sa.Column("reported_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("kinds", _JSON, nullable=False),
        sa.Column("systems", _JSON, nullable=False),
        sa.Column("environments", _JSON, nullable=False),
        sa.Column("data_categories", _JSON, nullable=False),
        sa.Column("subject_categories", _JSON, nullable=False),
        sa.Column("organisation_ids", _JSON, nullable=False),
        sa.Column("approx_subjects", sa.Integer(), nullable=True),
        sa.Column("approx_records", sa.Integer(), nullable=True),
        sa.Column("consequences", sa.Text(), nullable=True),
        sa.Column("measures_taken", sa.Text(), nullable=True),
        sa.Column("measures_planned", sa.Text(), nullable=True),
        sa.Column("risk", sa.String(length=10), nullable=True),
        sa.Column("risk_reasoning", sa.Text(), nullable=True),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("nis2", sa.Boolean(), nullable=False),
        sa.Column("decision", sa.String(length=12), nullable=True),
        sa.Column("decision_reasoning", sa.Text(), nullable=True),
        sa.Column("decided_at", _AT(timezone=True), nullable=True),
        sa.Column("subject_exception", sa.String(length=30), nullable=True),
        sa.Column("subject_exception_reasoning", sa.Text(), nullable=True),
        sa.Column("public_notice", sa.Text(), nullable=True),
        sa.Column("reminders_sent", _JSON, nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", _AT(timezone=True), nullable=False),
        sa.Column("updated_at", _AT(timezone=True), nullable=False),
        sa.Column("closed_at", _AT(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
    )
    op.create_index("ix_incident_state", "incident", ["state"], unique=False)
    op.create_table(
        "incident_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", _AT(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("changes", _JSON, nullable=False),
        _incident_fk("incident_event"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_event")),
    )
    op.create_table(
        "incident_notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=12), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=False),
        sa.Column("sent_at", _AT(timezone=True), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("late_reason", sa.Text(), nullable=True),
        sa.Column("document", _JSON, nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", _AT(timezone=True), nullable=False),
        _incident_fk("incident_notification"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_notification")),
    )
    op.create_table(
        "incident_letter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("person_ref", sa.String(length=36), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("at", _AT(timezone=True), nullable=False),
        _incident_fk("incident_letter"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_letter")),
        sa.UniqueConstraint("incident_id", "person_ref", name="uq_incident_letter_person"),
    )
    op.create_table(
        "incident_customer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("notified_at", _AT(timezone=True), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=True),
        _incident_fk("incident_customer"),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_incident_customer_organisation_id_organisation"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_customer")),
        sa.UniqueConstraint("incident_id", "organisation_id", name="uq_incident_customer_org"),
    )
    for table in ("incident_event", "incident_notification", "incident_letter", "incident_customer"):
        op.create_index(op.f(f"ix_{table}_incident_id"), table, ["incident_id"], unique=False)
    op.create_index(
        op.f("ix_incident_customer_organisation_id"), "incident_customer", ["organisation_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_incident_customer_organisation_id"), table_name="incident_customer")
    for table in ("incident_customer", "incident_letter", "incident_notification", "incident_event"):
        op.drop_index(op.f(f"ix_{table}_incident_id"), table_name=table)
        op.drop_table(table)
    op.drop_index("ix_incident_state", table_name="incident")
    op.drop_table("incident")
