"""A scan's proposals waiting for a person, and the data map they confirmed.

`custos systems scan` guesses; nothing it proposes is trusted until someone has read it. In the admin a scan
is stored as a `system_scan` with one `system_scan_table` per proposed table: what the scan saw (column names,
the category and identity kind it guessed and why, the erasure rule it proposes) and what the person chose
(accept or reject, and any adjusted category, identity or rule). Sampled values are never stored: only names
of tables and columns, and the scan's reasons. A confirmed scan keeps the mapping text it wrote and the text
it replaced, so every version of a system's data map can be read back (Art. 5(2), 30(1)).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from custos.db.base import Base, PortableJSON, UTCDateTime


class SystemScan(Base):
    __tablename__ = "system_scan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system_id: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(12))  # open | confirmed | discarded
    source: Mapped[str] = mapped_column(String(300))  # the URL with its password masked
    schema_name: Mapped[str | None] = mapped_column(String(120))
    left_out: Mapped[list[Any]] = mapped_column(PortableJSON)  # [[table, reason], ...]
    started_by: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int | None] = mapped_column(Integer)  # the system's data map version this scan confirmed
    mapping_text: Mapped[str | None] = mapped_column(Text)
    replaced_text: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_system_scan_system", "system_id", "id"),)


class SystemScanTable(Base):
    __tablename__ = "system_scan_table"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("system_scan.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(10))  # pending | accepted | rejected
    proposal: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    chosen: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)

    __table_args__ = (UniqueConstraint("scan_id", "name", name="uq_system_scan_table_once"),)
