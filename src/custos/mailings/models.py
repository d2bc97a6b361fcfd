"""Saved selections over the register, mailings sent to them, and one delivery row per recipient.

A delivery row is committed before its message goes out (`sending`) and again after (`sent`/`failed`), so a
send killed half-way resumes with the rows still `pending` and never sends a row that may already have gone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from custos.db.base import Base, PortableJSON, UTCDateTime


class Selection(Base):
    __tablename__ = "selection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    criteria: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(100))


class Mailing(Base):
    __tablename__ = "mailing"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    selection_id: Mapped[int] = mapped_column(ForeignKey("selection.id", ondelete="RESTRICT"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(5))
    status: Mapped[str] = mapped_column(String(20))  # draft | sending | done
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MailingDelivery(Base):
    __tablename__ = "mailing_delivery"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailing_id: Mapped[int] = mapped_column(ForeignKey("mailing.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    # pending | sending | sent | failed | skipped | unknown (was mid-send when the sender stopped)
    status: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    detail: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("mailing_id", "person_id", name="uq_mailing_delivery_mailing_id"),
        Index("ix_mailing_delivery_mailing_status", "mailing_id", "status"),
    )
