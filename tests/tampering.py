"""Getting past the audit log's append-only triggers, as an attacker with the database owner's rights could.

SQLite: the triggers are dropped (for good, in that test's database). PostgreSQL: `session_replication_role =
replica` for the one transaction (the test user is a superuser). What gets past must then be named by verify.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

SQLITE_TRIGGERS = (
    "audit_event_no_update",
    "audit_event_no_delete",
    "audit_head_forward_only",
    "audit_head_no_delete",
    "audit_block_no_update",
    "audit_block_no_delete",
)


def untriggered(connection: Connection) -> None:
    """Make the audit tables writable on `connection`, in its current transaction."""
    if connection.dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    else:
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")


@contextmanager
def tampering(engine: Engine) -> Iterator[Connection]:
    """A transaction on which the append-only triggers do not fire."""
    with engine.begin() as connection:
        untriggered(connection)
        yield connection
