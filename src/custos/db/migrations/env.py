"""Alembic environment. Custos runs migrations in-process (`custos.db.migrate`), handing over a connection."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from custos.tables import Base

config = context.config
connection = config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through `custos init` or custos.db.migrate.upgrade()")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table instead.
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
