"""Every policy version Custos has enforced, kept with its effective date and content hash.

Art. 5(2) and 13(3): the organisation must be able to show which notice was in force on a given date;
consent records point at the version they were given under.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from custos.db.base import Base, PortableJSON, UTCDateTime


class PolicyVersion(Base):
    __tablename__ = "policy_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    effective_on: Mapped[date] = mapped_column(Date)
    content_hash: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, object]] = mapped_column(PortableJSON)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("effective_on", "content_hash", name="uq_policy_version_content"),)
