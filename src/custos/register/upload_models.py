"""`import_upload`: a CSV file uploaded in the admin, held encrypted between its check and its import.

The file is personal data (names, addresses, employers), so it is kept only as long as the import needs it: the
content and the rejects are encrypted with the register's keys, bound to the staff member who uploaded them,
emptied when the import has run and erased altogether when the upload expires (`register.uploads`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from custos.db.base import Base, PortableJSON, UTCDateTime


class ImportUpload(Base):
    """One upload's state: checked → queued → importing → done | failed; expired ones are deleted."""

    __tablename__ = "import_upload"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(36), unique=True)  # opaque, the only thing in a URL
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), index=True)
    mode: Mapped[str | None] = mapped_column(String(10))  # all | skip, chosen when confirming
    size: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)
    bad: Mapped[int] = mapped_column(Integer)
    # Encrypted (register keys): the file name, the file, the bad rows as CSV, the problems as JSON.
    name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    content_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    rejects_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    problems_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    error_enc: Mapped[bytes | None] = mapped_column(LargeBinary)  # why the import failed, with its problems
    report: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)  # counts only
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
