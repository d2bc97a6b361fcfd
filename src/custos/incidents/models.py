"""The breach register's tables: incidents, their append-only timeline, notifications, letters, customers.

Art. 33(5): every breach is documented — facts, effects, remedial action, and why the authority was not
notified if it was not — whether or not it was notified. Incidents are therefore never deleted, and their
timeline only ever grows: no code path updates or deletes an `incident_event` row. Nothing here stores a data
subject's contact details; letters name people by their opaque register `ref` only (Art. 5(1)(c)).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custos.db.base import Base, PortableJSON, UTCDateTime


class Incident(Base):
    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Art. 33(1): the 72 hours run from when the controller became aware, not from when the breach happened.
    aware_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reported_by: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(Text)
    kinds: Mapped[list[str]] = mapped_column(PortableJSON)  # confidentiality | integrity | availability
    systems: Mapped[list[str]] = mapped_column(PortableJSON)
    environments: Mapped[list[str]] = mapped_column(PortableJSON)
    data_categories: Mapped[list[str]] = mapped_column(PortableJSON)
    subject_categories: Mapped[list[str]] = mapped_column(PortableJSON)
    # Register organisations whose people are in scope (a controller breach limited to some customers' contacts).
    organisation_ids: Mapped[list[int]] = mapped_column(PortableJSON)
    approx_subjects: Mapped[int | None] = mapped_column(Integer)
    approx_records: Mapped[int | None] = mapped_column(Integer)
    consequences: Mapped[str | None] = mapped_column(Text)
    measures_taken: Mapped[str | None] = mapped_column(Text)
    measures_planned: Mapped[str | None] = mapped_column(Text)
    risk: Mapped[str | None] = mapped_column(String(10))  # none | risk | high; empty until assessed
    risk_reasoning: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(12))  # controller | processor
    nis2: Mapped[bool] = mapped_column(Boolean, default=False)
    # Art. 33(1), 33(5): notify, or not notify with the reasoning on file.
    decision: Mapped[str | None] = mapped_column(String(12))  # notify | not_notify
    decision_reasoning: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Art. 34(3): an exception recorded instead of letters to the subjects.
    subject_exception: Mapped[str | None] = mapped_column(String(30))
    subject_exception_reasoning: Mapped[str | None] = mapped_column(Text)
    public_notice: Mapped[str | None] = mapped_column(Text)
    reminders_sent: Mapped[list[int]] = mapped_column(PortableJSON)  # hours (24, 48, 60) already sent
    state: Mapped[str] = mapped_column(String(10))  # open | closed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    events: Mapped[list[IncidentEvent]] = relationship(order_by="IncidentEvent.id", back_populates="incident")
    notifications: Mapped[list[IncidentNotification]] = relationship(order_by="IncidentNotification.id")
    customers: Mapped[list[IncidentCustomer]] = relationship(order_by="IncidentCustomer.organisation_id")

    __table_args__ = (Index("ix_incident_state", "state"),)


class IncidentEvent(Base):
    """One entry of the timeline: what changed or was decided, by whom, when. Append-only."""

    __tablename__ = "incident_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="RESTRICT"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    incident: Mapped[Incident] = relationship(back_populates="events")


class IncidentNotification(Base):
    """A notification sent to the authority (Art. 33) or, on the NIS2 track, to the CSIRT; in phases (33(4))."""

    __tablename__ = "incident_notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="RESTRICT"), index=True)
    recipient: Mapped[str] = mapped_column(String(12))  # authority | csirt
    phase: Mapped[str] = mapped_column(String(20))  # initial | supplement | early_warning | notification | final
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reference: Mapped[str | None] = mapped_column(String(100))
    late_reason: Mapped[str | None] = mapped_column(Text)
    # The document as sent, so a later change to the incident does not rewrite what the authority received.
    document: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IncidentLetter(Base):
    """Art. 34: one letter to one affected person, by ref; the address is looked up at send time, not stored."""

    __tablename__ = "incident_letter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="RESTRICT"), index=True)
    person_ref: Mapped[str] = mapped_column(String(36))
    language: Mapped[str] = mapped_column(String(2))
    state: Mapped[str] = mapped_column(String(12))  # sent | failed | no_address
    error: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("incident_id", "person_ref", name="uq_incident_letter_person"),)


class IncidentCustomer(Base):
    """Art. 33(2), 28(3)(f): as processor, each affected customer (controller) and whether it has been told."""

    __tablename__ = "incident_customer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="RESTRICT"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    state: Mapped[str] = mapped_column(String(12))  # pending | notified
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    channel: Mapped[str | None] = mapped_column(String(20))  # email | other
    reference: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (UniqueConstraint("incident_id", "organisation_id", name="uq_incident_customer_org"),)
