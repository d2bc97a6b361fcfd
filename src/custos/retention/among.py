"""`among(session, column, ids)`: "the column is one of these ids", for the sweep's set-based statements.

On PostgreSQL it is `column = ANY(:ids)`, one array parameter. psycopg turns a statement's placeholders into
PostgreSQL's `$n` anew for every statement with more than 50 parameters (it caches only short ones), so an
`IN (:1, …, :500)` per batch costs a pass over a long query string in Python each time; one array parameter
keeps the statement short, cached, and the same for every batch. SQLite has no arrays; its driver binds an IN
list in C.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Integer, any_, bindparam
from sqlalchemy.orm import InstrumentedAttribute, Session


def among(
    session: Session, column: ColumnElement[Any] | InstrumentedAttribute[Any], ids: Collection[int]
) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(list(ids))
