"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL alike."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import UniqueConstraint

from custos.db import make_engine
from custos.db.migrate import current_revision, head_revision, upgrade
from custos.tables import Base


def _sqlite_consent_id(change: tuple[object, ...]) -> bool:
    """The one known difference: the models say `UNIQUE (id, at)` for consent records, as PostgreSQL's month
    partitions need (migration 0022); SQLite keeps 0005's stricter `UNIQUE (id)`, since changing it there
    would copy the table and its append-only triggers for nothing."""
    kind, constraint = change[0], change[-1]
    if not isinstance(constraint, UniqueConstraint) or constraint.table.name != "consent_record":
        return False
    columns = tuple(column.name for column in constraint.columns)
    return (kind, columns) in {("remove_constraint", ("id",)), ("add_constraint", ("id", "at"))}


def test_migrated_database_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)  # already at head: a second run must be a no-op
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
        if engine.dialect.name == "sqlite":
            diff = [change for change in diff if not _sqlite_consent_id(change)]
        assert diff == []
    finally:
        engine.dispose()
