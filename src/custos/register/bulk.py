"""Bulk writes for the importer, in the caller's transaction: what each driver does fastest.

PostgreSQL takes new rows through `COPY … FROM STDIN` (psycopg's `cursor.copy`), one stream per table and batch,
instead of an INSERT parsed and planned per row. SQLite takes one prepared INSERT run over the whole batch
(`executemany`) with the values already in the form SQLAlchemy would store them, skipping its per-row
parameter processing. Either way the rows, constraints and defaults are those of an ordinary INSERT, and a
driver error arrives as SQLAlchemy's (an `IntegrityError` stays one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Date, DateTime, Table, any_, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import QueryableAttribute, Session


def is_in(session: Session, column: QueryableAttribute[T], values: Sequence[T]) -> ColumnElement[bool]:
    """`column IN values` for a batch's look-up. PostgreSQL gets `= ANY(array)`, one parameter that it parses
    and plans once, rather than a thousand (the importer's statements are not prepared, custos.db.engine)."""
    if session.get_bind().dialect.name != "postgresql":
        return column.in_(values)
    return column == any_(bindparam(None, list(values), type_=ARRAY(column.expression.type)))


T = TypeVar("T")


def next_ids(session: Session, table: Table, count: int) -> list[int]:
    """`count` unused ids for new rows of `table` (its integer primary key `id`), in the order to use them.

    PostgreSQL: drawn from the column's sequence, as its default would. SQLite: the ids after the largest, as
    SQLite itself picks them; safe because a unit of work on SQLite holds the write lock from its first
    statement (`BEGIN IMMEDIATE`, custos.db.engine), so no one else can insert until it ends.
    """
    if count <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        query = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)")
        return [int(i) for i in session.scalars(query, {"table": table.name, "count": count})]
    last = int(session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0)
    return list(range(last + 1, last + 1 + count))


def insert_rows(session: Session, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert `rows`, each a tuple of `columns`' values as the model takes them (dates, aware datetimes, bytes)."""
    if not rows:
        return
    connection = session.connection()
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        statement = f"COPY {table.name} ({names}) FROM STDIN"
        driver = connection.connection.driver_connection
        assert driver is not None
        try:
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except driver.Error as exc:  # as SQLAlchemy would raise it (the demo seed catches IntegrityError)
            raise DBAPIError.instance(statement, None, exc, type(driver).Error) from exc
        return
    marks = ", ".join("?" * len(columns))
    processors = _processors(connection.dialect, table, columns)
    values: list[Any] = list(rows)
    if processors:
        by_column: list[Any] = list(zip(*rows, strict=True))  # a column at a time: a few calls, not one per value
        for i, processor in processors.items():
            by_column[i] = map(processor, by_column[i])
        values = list(zip(*by_column, strict=True))
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", values)


def _processors(dialect: Any, table: Table, columns: Sequence[str]) -> dict[int, Callable[[Any], Any]]:
    """The bind processors of the date and time columns (the text SQLite stores), by position; other values go
    to the driver as they are."""
    found: dict[int, Callable[[Any], Any]] = {}
    for i, name in enumerate(columns):
        column_type = table.c[name].type
        stored = getattr(column_type, "impl", column_type)  # a TypeDecorator's own processing comes first
        processor = column_type.dialect_impl(dialect).bind_processor(dialect)
        if isinstance(stored, Date | DateTime) and processor is not None:
            found[i] = _remembering(processor)
    return found


def _remembering(processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    # A batch mostly repeats one value per column (the import's own time, a day): process each value once.
    last: list[Any] = [object(), None]

    def process(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, processor(value)
        return last[1]

    return process
