"""The audit log's tables: the events, the sealed blocks that chain them, and a one-row head that pins the end.

Art. 5(2) (accountability) and Art. 32 (security of processing): every read, export, change and erasure of
personal data and every login leaves an event that cannot be changed or removed without `verify` noticing.
Events name people only by their opaque `ref` (`subject`) — the log itself must hold no personal data of
data subjects, or erasing a person would have to break the chain.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from custos.db.base import Base, UTCDateTime

# SQLite: INTEGER PRIMARY KEY is the rowid itself (no second index); PostgreSQL: room for 2^63 events.
SeqType = BigInteger().with_variant(Integer(), "sqlite")

HEAD_ID = 1


class AuditEvent(Base):
    """One audited action. Append-only: database triggers refuse UPDATE and DELETE (migration 0002)."""

    __tablename__ = "audit_event"

    # Given by the database: on PostgreSQL `custos_audit_next()` (the transaction's id, then the sequence
    # audit_event_seq; migration 0020), so appenders share no row; the rowid on SQLite (writers take turns). A
    # rolled-back number is a hole the sealer writes into its block, so a gap in a block still only ever means
    # a deleted event (see `custos.audit.seal`).
    seq: Mapped[int] = mapped_column(SeqType, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_label: Mapped[str] = mapped_column(String(100))
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str | None] = mapped_column(String(36))
    target: Mapped[str | None] = mapped_column(String(100))
    purpose: Mapped[str | None] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(20))
    # Canonical JSON text, exactly the bytes that were hashed (see `chain`); read it through `details`.
    details_json: Mapped[str] = mapped_column(Text)
    # Only events written before migration 0020 (format custos-audit/1) link to the previous event.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    # The event's own hash (`chain.leaf_hash`): its leaf in the block's Merkle tree.
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_event_at", "at"),  # export by date range
        Index("ix_audit_event_subject", "subject"),  # who accessed this person's data (Art. 15 questions)
        Index("ix_audit_event_actor", "actor_kind", "actor_id"),  # access review: what did this staff do
    )

    @property
    def details(self) -> dict[str, object]:
        value: dict[str, object] = json.loads(self.details_json)
        return value


class AuditBlock(Base):
    """A sealed run of events: their Merkle root, chained to the previous block through its head hash.

    Block 0, where there is one, stands for the events written before blocks existed (migration 0020): its
    `root` is the last hash of their own chain (format custos-audit/1), which `verify` walks event by event.
    Append-only like the events (triggers in migration 0020).
    """

    __tablename__ = "audit_block"

    block: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    first_seq: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    size: Mapped[int] = mapped_column(Integer)
    # Numbers in first_seq…last_seq that held no event at sealing, as canonical JSON `[[from, to], …]`.
    holes_json: Mapped[str] = mapped_column(Text)
    root: Mapped[str] = mapped_column(String(64))
    prev_head: Mapped[str] = mapped_column(String(64))
    head: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Ed25519 over the head's bytes, by the key `signer` names (None: sealed without keys, e.g. in a test).
    signer: Mapped[int | None] = mapped_column(Integer)
    signature: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (Index("ix_audit_block_last_seq", "last_seq", unique=True),)

    @property
    def holes(self) -> list[tuple[int, int]]:
        return [(int(low), int(high)) for low, high in json.loads(self.holes_json)]


class AuditHead(Base):
    """The end of the sealed chain: the newest block's head, moved forward by the sealer only.

    Without it, deleting the newest blocks with their events would leave a shorter chain that is still
    internally valid. Appenders never touch it (they take a number from the sequence), so they do not wait
    for one another; only sealers lock it, once per block.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger)  # the newest sealed event
    last_hash: Mapped[str] = mapped_column(String(64))  # the newest block's head
    count: Mapped[int] = mapped_column(BigInteger)  # events sealed
    blocks: Mapped[int] = mapped_column(Integer, default=0)  # the newest block's number (0: none yet or legacy)

    __table_args__ = (CheckConstraint(f"id = {HEAD_ID}", name="single_row"),)
