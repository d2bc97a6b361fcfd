"""`job_run`: one row per scheduled job — when it is next due, and who holds the lease to run it now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from custos.db.base import Base, UTCDateTime


class JobRun(Base):
    """A job's schedule and lease. Any number of workers tick; only the lease holder runs the job.

    The lease expires, so a worker killed mid-run does not block the job for ever: another takes it over
    after `lease_expires_at`. Jobs are wake-ups only — what they drive keeps its own state in rows, so
    running one twice (an expired lease, a manual run) does nothing twice.
    """

    __tablename__ = "job_run"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_outcome: Mapped[str | None] = mapped_column(String(20))  # ok | failed
    last_error: Mapped[str | None] = mapped_column(Text)
    runs: Mapped[int] = mapped_column(Integer, default=0)
