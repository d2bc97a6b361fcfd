"""audit log without a global lock: events numbered by the database, sealed into Merkle blocks

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04

Until now every append locked the one `audit_head` row to chain the event to the previous one, so every audited
action of every process waited for every other. From here on an event takes its number from the database (a
sequence on PostgreSQL, the rowid on SQLite) and is hashed on its own (format custos-audit/2); the sealer puts
events into blocks (`audit_block`), each with the Merkle root of its events and the hash of the previous block's
head, and moves `audit_head` on once per block (custos.audit.seal).

The events already written keep their own chain (custos-audit/1, `prev_hash`), which nobody re-hashes: they
become block 0, whose `root` is the last hash of that chain and whose `size` is the old head's count, so the
blocks sealed later hang off the evidence that existed before, and `verify` still walks block 0 event by event.
`prev_hash` becomes optional (new events have none). `audit_block` is append-only like the events.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import custos.db.base
from custos.audit.chain import GENESIS, block_bytes, digest, format_at

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_PG_NEXT = """
    CREATE FUNCTION custos_audit_next() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
    BEGIN
        PERFORM pg_current_xact_id();
        RETURN nextval('audit_event_seq');
    END $$
"""
_BLOCK_MESSAGE = "audit_block is append-only: % is refused (sealed audit blocks are evidence, GDPR Art. 5(2), 32)"
_PG = [
    f"""
    CREATE FUNCTION custos_audit_block_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{_BLOCK_MESSAGE}', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$
    """,
    "CREATE TRIGGER audit_block_append_only BEFORE UPDATE OR DELETE ON audit_block "
    "FOR EACH ROW EXECUTE FUNCTION custos_audit_block_append_only()",
    "CREATE TRIGGER audit_block_no_truncate BEFORE TRUNCATE ON audit_block "
    "FOR EACH STATEMENT EXECUTE FUNCTION custos_audit_block_append_only()",
]
_SQLITE_BLOCK = [
    "CREATE TRIGGER audit_block_no_update BEFORE UPDATE ON audit_block BEGIN "
    "SELECT RAISE(ABORT, 'audit_block is append-only: UPDATE is refused (GDPR Art. 5(2), 32)'); END",
    "CREATE TRIGGER audit_block_no_delete BEFORE DELETE ON audit_block BEGIN "
    "SELECT RAISE(ABORT, 'audit_block is append-only: DELETE is refused (GDPR Art. 5(2), 32)'); END",
]
# Rebuilding audit_event on SQLite (to make prev_hash optional) drops its triggers; these are 0002's.
_SQLITE_EVENT = [
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event BEGIN "
    "SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE is refused (GDPR Art. 5(2), 32)'); END",
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event BEGIN "
    "SELECT RAISE(ABORT, 'audit_event is append-only: DELETE is refused (GDPR Art. 5(2), 32)'); END",
]


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE audit_event ALTER COLUMN prev_hash DROP NOT NULL")
        op.execute("CREATE SEQUENCE audit_event_seq AS bigint OWNED BY audit_event.seq")
        op.execute("SELECT setval('audit_event_seq', COALESCE((SELECT max(seq) FROM audit_event), 0) + 1, false)")
        # The number's default takes the transaction's id first (the sealer's bound relies on it, see
        # custos.audit.seal), in the INSERT itself: no extra round trip per audited transaction.
        op.execute(_PG_NEXT)
        op.execute("ALTER TABLE audit_event ALTER COLUMN seq SET DEFAULT custos_audit_next()")
    else:
        op.execute("DROP TRIGGER audit_event_no_update")
        op.execute("DROP TRIGGER audit_event_no_delete")
        with op.batch_alter_table("audit_event", recreate="always") as batch:
            batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=True)
        for statement in _SQLITE_EVENT:
            op.execute(statement)
    block = op.create_table(
        "audit_block",
        sa.Column("block", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("holes_json", sa.Text(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("prev_head", sa.String(length=64), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", custos.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("signer", sa.Integer(), nullable=True),
        sa.Column("signature", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("block", name=op.f("pk_audit_block")),
    )
    op.create_index("ix_audit_block_last_seq", "audit_block", ["last_seq"], unique=True)
    # A plain ADD COLUMN (a batch rebuild on SQLite would drop audit_head's forward-only triggers).
    op.add_column("audit_head", sa.Column("blocks", sa.Integer(), nullable=False, server_default="0"))
    for statement in _PG if postgres else _SQLITE_BLOCK:
        op.execute(statement)
    _legacy_block(bind, block)


def _legacy_block(bind: sa.Connection, block: sa.Table) -> None:
    """Block 0 for the events of the old single chain, if there are any (see the module's docstring)."""
    last_seq, last_hash, count = bind.execute(sa.text("SELECT last_seq, last_hash, count FROM audit_head")).one()
    if not last_seq:
        return
    sealed_at = datetime.now(UTC)
    header = block_bytes(0, 1, last_seq, count, [], last_hash, GENESIS, format_at(sealed_at))
    head = digest(header)
    values = {
        "block": 0,
        "first_seq": 1,
        "last_seq": last_seq,
        "size": count,
        "holes_json": json.dumps([]),
        "root": last_hash,
        "prev_head": GENESIS,
        "head": head,
        "sealed_at": sealed_at,
        "signer": None,
        "signature": None,
    }
    op.bulk_insert(block, [values])
    bind.execute(sa.text("UPDATE audit_head SET last_hash = :head"), {"head": head})


def downgrade() -> None:
    raise NotImplementedError(
        "0020 cannot be undone: events sealed in blocks have no link to the previous event, and re-chaining "
        "them would re-write evidence. Restore the backup taken before the upgrade instead."
    )
