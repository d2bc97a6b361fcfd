"""The retention engine's tables: legal holds, sweeps and their per-person tasks, and tombstones.

A sweep is a state machine stored in rows (none of it lives only in a process, so any worker resumes it): the
`retention_sweep` row moves planning → running → done, and each person due for erasure gets one
`retention_task` row that moves pending → done (or skipped). A task's work and its evidence (the deletion,
the tombstone, the audit event, the task's new state) commit in one transaction, so a crash at any point
leaves a task either done with its tombstone or still pending — never half done.

A tombstone holds no personal data (Art. 5(1)(c), 17): the person's opaque ref, which rules made them due,
the dates, and counts of what was removed. It is the proof that the storage-limitation promise was kept
(Art. 5(1)(e), 5(2)).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from custos.db.base import Base, PortableJSON, UTCDateTime


class LegalHold(Base):
    """Stops erasure of a person, or of everyone related through an organisation, while active.

    Art. 17(3)(e): data needed for legal claims may be kept; a hold is how staff say so, with a reason and
    a period. Active on a day when `starts_on <= day`, `ends_on` is empty or not before it, and it has not
    been released.
    """

    __tablename__ = "legal_hold"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The ref stays when the person row is gone (erased later by a request), so the hold's history still reads.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    person_ref: Mapped[str | None] = mapped_column(String(36))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_by: Mapped[str | None] = mapped_column(String(100))


class RetentionSweep(Base):
    """One run of the retention engine as of one day; `plan_cursor` makes planning resumable."""

    __tablename__ = "retention_sweep"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(20))  # planning | running | done
    as_of: Mapped[date] = mapped_column(Date)
    trigger: Mapped[str] = mapped_column(String(20))  # cli | job | api
    actor: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    plan_cursor: Mapped[int] = mapped_column(Integer, default=0)  # the last person id planned
    planned: Mapped[int] = mapped_column(Integer, default=0)
    erased: Mapped[int] = mapped_column(Integer, default=0)
    trimmed: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    held: Mapped[int] = mapped_column(Integer, default=0)
    released: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_retention_sweep_state", "state"),)


class RetentionTask(Base):
    """What a sweep does to one person: `erase` (everything) or `trim` (only the due relationships).

    `steps` holds one state per place the person's data lives, `{"register": "pending"}` today. The
    connectors issue adds one step per connected system (`{"crm": "pending", ..., "register": "pending"}`);
    each step is idempotent and commits with its own state, and the register step runs last because the
    identities it deletes are what the other systems are searched by.
    """

    __tablename__ = "retention_task"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sweep_id: Mapped[int] = mapped_column(ForeignKey("retention_sweep.id", ondelete="CASCADE"))
    # No foreign key: the person row is what the task deletes.
    person_id: Mapped[int] = mapped_column(Integer)
    person_ref: Mapped[str] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(10))  # erase | trim
    state: Mapped[str] = mapped_column(String(10))  # pending | done | skipped
    relationship_ids: Mapped[list[int]] = mapped_column(PortableJSON)
    steps: Mapped[dict[str, str]] = mapped_column(PortableJSON)
    tombstone_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(100))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("sweep_id", "person_id", name="uq_retention_task_sweep_person"),
        Index("ix_retention_task_pending", "sweep_id", "state", "id"),
    )


class Tombstone(Base):
    """Proof of an erasure, without personal data.

    `entries` has one item per removed relationship: subject category, activity, the rule in words, the
    anchor fact, the due date, and — where a data category the activity processes must be kept by law
    (Art. 17(3)(b), e.g. Bokföringslagen 7 kap. 2 §) — `retained_until` and the categories kept. `state` is
    `retained_under_law` while any such date is in the future, `released` once a later sweep finds it passed,
    otherwise `erased`. `counts` is per system: `{"register": {"person": 1, "identities": 2, ...}}`.
    """

    __tablename__ = "tombstone"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sweep_id: Mapped[int | None] = mapped_column(ForeignKey("retention_sweep.id", ondelete="SET NULL"), index=True)
    task_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    subject_ref: Mapped[str] = mapped_column(String(36), index=True)
    action: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20))  # erased | retained_under_law | released
    retained_until: Mapped[date | None] = mapped_column(Date)
    as_of: Mapped[date] = mapped_column(Date)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime())
    counts: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    entries: Mapped[list[dict[str, Any]]] = mapped_column(PortableJSON)

    __table_args__ = (Index("ix_tombstone_retained", "state", "retained_until"),)
