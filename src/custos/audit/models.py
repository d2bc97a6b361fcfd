"""The audit log's tables: the events themselves and a one-row head that pins the end of the chain.

Art. 5(2) (accountability) and Art. 32 (security of processing): every read, export, change and erasure of
personal data and every login leaves an event that cannot be changed or removed without `verify` noticing.
Events name people only by their opaque `ref` (`subject`) — the log itself must hold no personal data of
data subjects, or erasing a person would have to break the chain.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from custos.db.base import Base, UTCDateTime

# SQLite: INTEGER PRIMARY KEY is the rowid itself (no second index); PostgreSQL: room for 2^63 events.
SeqType = BigInteger().with_variant(Integer(), "sqlite")

HEAD_ID = 1


class AuditEvent(Base):
    """One audited action. Append-only: database triggers refuse UPDATE and DELETE (migration 0002)."""

    __tablename__ = "audit_event"

    # Assigned by `record` from `audit_head`, never by the database: a PostgreSQL sequence skips numbers
    # on rollback, and a gap must only ever mean a deleted event.
    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_label: Mapped[str] = mapped_column(String(100))
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str | None] = mapped_column(String(36))
    target: Mapped[str | None] = mapped_column(String(100))
    purpose: Mapped[str | None] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(20))
    # Canonical JSON text, exactly the bytes that were hashed (see `chain`); read it through `details`.
    details_json: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_event_at", "at"),  # export by date range
        Index("ix_audit_event_subject", "subject"),  # who accessed this person's data (Art. 15 questions)
        Index("ix_audit_event_actor", "actor_kind", "actor_id"),  # access review: what did this staff do
    )

    @property
    def details(self) -> dict[str, object]:
        value: dict[str, object] = json.loads(self.details_json)
        return value


class AuditHead(Base):
    """The end of the chain, updated in the same transaction as every append.

    Without it, deleting the newest events would leave a shorter chain that is still internally valid.
    Appenders lock this row (`SELECT … FOR UPDATE` on PostgreSQL), which also serialises them.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint(f"id = {HEAD_ID}", name="single_row"),)
