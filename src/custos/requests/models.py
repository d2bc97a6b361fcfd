"""Data subject requests as rows: the case, its append-only history, its tasks, one-time codes and downloads.

A request is a state machine stored in the database (none of it lives only in a process, so a restarted or
another worker drives it on where the rows say). The case row holds where it stands; `subject_request_event` is
its history (never updated or deleted, Art. 5(2)); each place
the subject's data lives gets one `subject_request_task` row (the register, and one per connected system) that
is driven forward idempotently and re-driven after a crash. The subject's contact details are personal data
and are stored only encrypted, with a keyed blind index to match the register (Art. 32). One-time codes and
download tokens are stored only as hashes: a copy of the database never lets anyone act as the subject.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custos.db.base import Base, PortableJSON, UTCDateTime


class SubjectRequest(Base):
    __tablename__ = "subject_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)  # DSR-XXXXXXXX, shown to staff and the subject
    # sha256 of the secret in the subject's private status link; the link is the only key to the status page.
    status_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(10))  # web | api | staff
    language: Mapped[str] = mapped_column(String(2))
    email_enc: Mapped[bytes] = mapped_column(LargeBinary)
    email_lookup: Mapped[bytes] = mapped_column(LargeBinary(32), index=True)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    organisation_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    details_enc: Mapped[bytes | None] = mapped_column(LargeBinary)  # rectification wishes, objection grounds
    # A policy `processor` service id when the subject says the data is in a customer's environment.
    processor_service: Mapped[str | None] = mapped_column(String(60))
    # Art. 12(3): the clock starts at the real arrival, which staff entry sets to when the mail or ticket came.
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_on: Mapped[date] = mapped_column(Date)
    extended_due_on: Mapped[date | None] = mapped_column(Date)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    extension_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Waiting for the subject to confirm their identity pauses the clock (EDPB GL 01/2022): [[start, end], ...].
    pauses: Mapped[list[list[str]]] = mapped_column(PortableJSON)
    state: Mapped[str] = mapped_column(String(12))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"), index=True)
    person_ref: Mapped[str | None] = mapped_column(String(36))  # the register person it matched, if any
    # Staff review of a rectification, or the decision on an objection to legitimate interest.
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(String(100))
    decision: Mapped[str | None] = mapped_column(Text)  # refusal reasons, objection grounds, completion note
    # A rectification as staff approved it: {"name": ..., "title": ...} as JSON, encrypted like the register.
    changes_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    outcome: Mapped[dict[str, Any]] = mapped_column(PortableJSON)  # what was done/kept, per system, no personal data
    # Art. 17(3): an erasure that touches an activity the policy marks for review waits in `assessing` until
    # staff decide per category; {"activities": [...], "decisions": [...], "decided_by", "decided_at"}.
    assessment: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)
    # What the erasure keeps, fixed when its work is planned (custos.retention.keep plus the decisions): every
    # system step, the register's tombstone and the letter follow this one list, so they cannot disagree.
    keep: Mapped[list[dict[str, Any]] | None] = mapped_column(PortableJSON)
    package_path: Mapped[str | None] = mapped_column(String(500))
    reminders_sent: Mapped[list[int]] = mapped_column(PortableJSON)  # days-before-due already reminded (7, 1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    events: Mapped[list[SubjectRequestEvent]] = relationship(order_by="SubjectRequestEvent.id")
    tasks: Mapped[list[SubjectRequestTask]] = relationship(order_by="SubjectRequestTask.id")

    __table_args__ = (Index("ix_subject_request_state_due", "state", "due_on"),)


class SubjectRequestEvent(Base):
    """One step of a request's history: who did what, from which state to which. Append-only."""

    __tablename__ = "subject_request_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("subject_request.id", ondelete="RESTRICT"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(12))
    to_state: Mapped[str | None] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(PortableJSON)


class SubjectRequestTask(Base):
    """The request's work in one place: `register` or a connected system's id.

    pending → done | failed | waiting (a manual system a person must confirm); `attempts` counts runs so a
    system that keeps failing stops being retried and stands out to staff. `result` holds counts and what was
    kept, never the data itself (an access export is staged on disk under the packages directory).
    """

    __tablename__ = "subject_request_task"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("subject_request.id", ondelete="RESTRICT"), index=True)
    target: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(20))  # export | erase | rectify | restrict | suppress
    state: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    system_task_id: Mapped[str | None] = mapped_column(String(100))
    result: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("request_id", "target", name="uq_subject_request_task_request_target"),)


class SubjectRequestCode(Base):
    """A one-time code sent to the subject's address: to confirm identity, or before a download.

    Stored hashed; valid until `expires_at`, for at most `MAX_ATTEMPTS` wrong guesses, and only once.
    """

    __tablename__ = "subject_request_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("subject_request.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))  # verify | download
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SubjectRequestDownload(Base):
    """An expiring link to an access or portability package; each download is counted and audited."""

    __tablename__ = "subject_request_download"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("subject_request.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    downloads: Mapped[int] = mapped_column(Integer, default=0)
    last_download_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
