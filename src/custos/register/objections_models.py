"""What a subject has objected to or asked to limit: the suppression list (Art. 21(2)–(3)) and restrictions (Art. 18).

A suppression entry outlives the person: it is matched by the register's blind index of the address, so an
address imported again later is still left out of every mailing. The address is also kept encrypted, only so
that a key rotation can compute its index under the new key; nothing else ever decrypts it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from custos.db.base import Base, UTCDateTime


class Suppression(Base):
    __tablename__ = "suppression"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    lookup: Mapped[bytes] = mapped_column(LargeBinary(32))
    value_enc: Mapped[bytes] = mapped_column(LargeBinary)
    source: Mapped[str] = mapped_column(String(80))
    reference: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("kind", "lookup", name="uq_suppression_kind_lookup"),)


class Restriction(Base):
    """One period of restriction of a person's data; active while `lifted_at` is empty."""

    __tablename__ = "restriction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(100))
    restricted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    restricted_by: Mapped[str] = mapped_column(String(100))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lifted_by: Mapped[str | None] = mapped_column(String(100))
    lift_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_restriction_person_lifted", "person_id", "lifted_at"),)
