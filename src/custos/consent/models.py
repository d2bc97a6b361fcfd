"""The consent record: proof of each cookie choice a visitor made (GDPR Art. 7(1)), kept append-only.

Refusals and withdrawals are recorded as well as consents, so the record shows the whole history of a choice
(Art. 7(3)). A record holds no IP address and no full user agent (Art. 5(1)(c)): the visitor is known only by
the random id in the consent cookie, and the record points at the policy version and the cookie inventory
shown (by date and hash), which is what proves the consent was informed (Art. 4(11); EDPB GL 05/2020 §104–108).

On PostgreSQL the table is partitioned by month of `at` (`custos.consent.months`), so proof past its retention
goes a whole month at a time, as DDL, without a row-by-row DELETE the append-only guard would refuse. PostgreSQL
wants the partition column in every unique constraint, so the key is (`seq`, `at`) and `id` is unique with `at`;
`seq` alone still comes from one sequence and so stays unique, and every index leads with what is looked up.
SQLite keeps one table whose key is `seq` (alembic does not compare primary keys) and `id` unique on its own.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from custos.db.base import Base, PortableJSON, UTCDateTime


class ConsentRecord(Base):
    __tablename__ = "consent_record"

    # `seq` orders a visitor's records even when two share an instant; `id` is the record's public name.
    # 64 bits on PostgreSQL: at internet scale 2^31 choices is months, not decades. SQLite's rowid is 64-bit
    # already, and only a column typed exactly INTEGER is that rowid.
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(32))  # random 128-bit, hex
    visitor_id: Mapped[str] = mapped_column(String(32))  # random 128-bit, hex: the consent cookie's value
    at: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)  # the partition column
    # The policy version in force (its date and content hash: a `policy_version` row) and the hash of the
    # cookie inventory and categories the banner showed.
    policy_version: Mapped[date] = mapped_column(Date)
    policy_hash: Mapped[str] = mapped_column(String(64))
    inventory_hash: Mapped[str] = mapped_column(String(64))
    choices: Mapped[dict[str, bool]] = mapped_column(PortableJSON)  # category id -> given
    kind: Mapped[str] = mapped_column(String(12))  # consent | refusal | withdrawal
    method: Mapped[str] = mapped_column(String(10))  # banner | settings | gpc
    gpc: Mapped[bool] = mapped_column(Boolean)  # the browser sent a Global Privacy Control signal
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ua_family: Mapped[str | None] = mapped_column(String(20), nullable=True)

    __table_args__ = (
        UniqueConstraint("id", "at"),
        Index("ix_consent_record_visitor", "visitor_id", "seq"),
        Index("ix_consent_record_at", "at"),
        {"postgresql_partition_by": "RANGE (at)"},
    )
