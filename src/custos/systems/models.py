"""The operational state of connected systems: owners set in the admin UI, each run's outcome, manual tasks.

What a system *is* (kind, mapping, connection setting) lives in the policy file (policy as code); these
tables hold only what happens to it. No connection URL or credential is ever stored here.

A `system_run` is the outcome of one operation (export or erase) for one person (by ref) for one cause
(`request:<ref>`, `retention:<sweep id>`), one row per combination: a retry updates the row and counts its
attempts, so the history of a person's erasure in a system reads in one place. A `system_task` is the work a
manual system's owner does by hand; the identities to look for are kept encrypted on it until the owner
confirms, then cleared (Art. 5(1)(c), (e)). `system_subject_keys` holds the encrypted identities a retention
task needs to finish its system steps after a crash; it is deleted when the task is done.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from custos.db.base import Base, PortableJSON, UTCDateTime


class SystemState(Base):
    """A system's owner as set in the admin UI (overrides the policy's `owner`)."""

    __tablename__ = "system_state"

    system_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(254))
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SystemRun(Base):
    __tablename__ = "system_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system_id: Mapped[str] = mapped_column(String(80))
    subject_ref: Mapped[str] = mapped_column(String(36))
    cause: Mapped[str] = mapped_column(String(100))
    operation: Mapped[str] = mapped_column(String(10))  # export | erase | rectify
    status: Mapped[str] = mapped_column(String(10))  # done | failed | waiting
    counts: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    kept: Mapped[list[dict[str, Any]]] = mapped_column(PortableJSON)
    # An erasure's instruction of what to keep (custos.retention.keep entries for this system), so a retry
    # keeps the same as the first attempt.
    keep: Mapped[list[dict[str, Any]] | None] = mapped_column(PortableJSON)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    task_id: Mapped[int | None] = mapped_column(Integer)
    # The identities, encrypted, kept only while a failed erasure waits to be retried; cleared when it succeeds.
    keys_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("system_id", "subject_ref", "cause", "operation", name="uq_system_run_once"),
        Index("ix_system_run_status", "status", "operation", "id"),
        Index("ix_system_run_recent", "system_id", "id"),
    )


class SystemTask(Base):
    __tablename__ = "system_task"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system_id: Mapped[str] = mapped_column(String(80))
    subject_ref: Mapped[str] = mapped_column(String(36))
    cause: Mapped[str] = mapped_column(String(100))
    operation: Mapped[str] = mapped_column(String(10))  # export | erase | rectify
    state: Mapped[str] = mapped_column(String(10))  # open | done
    owner: Mapped[str | None] = mapped_column(String(254))
    # What to look for: the identities (encrypted JSON, cleared once done) and the mapped data categories.
    identities_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    categories: Mapped[list[str]] = mapped_column(PortableJSON)
    # An erase task's categories to KEEP, each with its law and until-date (custos.retention.keep): `categories`
    # never names one of them, so an owner is never told to destroy a record the law keeps (Art. 17(3)).
    kept: Mapped[list[dict[str, Any]] | None] = mapped_column(PortableJSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the privacy contact was told that nobody can do this task (no owner, or one who cannot sign in).
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by: Mapped[str | None] = mapped_column(String(100))
    # The owner's confirmation: which fields, how many records; the free-text note is encrypted (it may name people).
    done_fields: Mapped[list[str]] = mapped_column(PortableJSON)
    done_records: Mapped[int | None] = mapped_column(Integer)
    note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)

    __table_args__ = (
        UniqueConstraint("system_id", "subject_ref", "cause", "operation", name="uq_system_task_once"),
        Index("ix_system_task_open", "state", "system_id", "id"),
    )


class SystemSubjectKeys(Base):
    """A retention task's identities, encrypted, until every system step of the task is done."""

    __tablename__ = "system_subject_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cause: Mapped[str] = mapped_column(String(100))
    subject_ref: Mapped[str] = mapped_column(String(36))
    keys_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("cause", "subject_ref", name="uq_system_subject_keys_once"),)
