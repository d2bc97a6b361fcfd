"""Finding a person's rows in a customer system by walking the mapping's references.

Tables are visited parents first. A table's rows are those matching the person's identity values in its
identity columns, or pointing (through a reference) at rows already found in its parent tables — all in one
statement per table (`email IN (...) OR customer_id IN (...)`), with bound parameters, on one connection. Only
the person's rows are selected; when a parent has many rows the values are sent in chunks. The mapping is the
schema: nothing is reflected at request time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, TableClause, bindparam, column, or_, select, table
from sqlalchemy.exc import SQLAlchemyError

from custos.errors import SystemFailed
from custos.systems.connect import mask_url, scrub
from custos.systems.graph import children_of, graph
from custos.systems.keys import SubjectKeys
from custos.systems.mapping import DatasetMapping

# Values per IN list: far below every backend's parameter limit, large enough that a person needs one statement.
CHUNK = 1000

Row = dict[str, Any]


Conditions = list[tuple[str, list[Any]]]  # (column, values): a row is the person's if any column holds a value


@dataclass
class FoundTable:
    table: str
    rows: list[Row] = field(default_factory=list)
    # For a deferred table: what its rows match, so a caller can act on them in one statement without reading.
    conditions: Conditions = field(default_factory=list)


def clause(mapping: DatasetMapping, name: str, columns: Iterable[str]) -> TableClause:
    """A lightweight table object naming only the columns a statement needs (the mapping is the schema)."""
    return table(name, *(column(name_) for name_ in dict.fromkeys(columns)), schema=mapping.schema_)


def walk_columns(mapping: DatasetMapping, name: str) -> list[str]:
    """The columns the walk itself needs from a table: key, identity, references and what children point at."""
    spec = mapping.tables[name]
    wanted = [*spec.key, *spec.identity, *spec.references]
    wanted += [ref.parent_column for ref in children_of(mapping, name)]
    return list(dict.fromkeys(wanted))


def walk(
    connection: Connection,
    mapping: DatasetMapping,
    keys: SubjectKeys,
    extra_columns: dict[str, list[str]],
    *,
    lock: bool = False,
    defer: frozenset[str] = frozenset(),
) -> Iterator[FoundTable]:
    """Each table's rows of the person, parents first; tables where nothing can match are skipped.

    Tables in `defer` (leaves no other table points at) are not read: they come with their conditions only.
    """
    found: dict[tuple[str, str], set[Any]] = {}  # (table, column) → values children look for
    links = graph(mapping)
    memo = mapping.memo()
    for name in links.order:
        spec = mapping.tables[name]
        conditions: Conditions = []
        for col, kind in spec.identity.items():
            if keys.values(kind):
                conditions.append((col, list(keys.values(kind))))
        for ref in links.parents[name]:
            values = found.get((ref.parent, ref.parent_column))
            if values:
                conditions.append((ref.column, list(values)))
        if not conditions:
            continue
        if name in defer:
            yield FoundTable(name, conditions=conditions)
            continue
        extra = tuple(extra_columns.get(name, ()))
        columns = memo.get(("columns", name, extra))
        if columns is None:
            columns = memo[("columns", name, extra)] = list(dict.fromkeys([*walk_columns(mapping, name), *extra]))
        try:
            rows = _select(connection, mapping, name, columns, conditions, lock)
        except SQLAlchemyError as exc:
            raise failure(mapping, connection, name, "reading", exc) from None
        for ref in links.children[name]:
            values = found.setdefault((name, ref.parent_column), set())
            values.update(row[ref.parent_column] for row in rows if row[ref.parent_column] is not None)
        if rows:
            yield FoundTable(name, rows)


def _select(
    connection: Connection, mapping: DatasetMapping, name: str, columns: list[str], conditions: Conditions, lock: bool
) -> list[Row]:
    if all(len(values) <= CHUNK for _, values in conditions):
        return _run(connection, mapping, name, columns, conditions, lock)
    # A large fan-out: one statement per chunk, rows found twice (matched by two conditions) kept once.
    key = mapping.tables[name].key
    rows: dict[tuple[Any, ...], Row] = {}
    for col, values in conditions:
        for start in range(0, len(values), CHUNK):
            for row in _run(connection, mapping, name, columns, [(col, values[start : start + CHUNK])], lock):
                rows.setdefault(tuple(row[k] for k in key), row)
    return list(rows.values())


def _run(
    connection: Connection, mapping: DatasetMapping, name: str, columns: list[str], conditions: Conditions, lock: bool
) -> list[Row]:
    """One SELECT, its SQL text compiled once per mapping, dialect and IN-list lengths, then sent as it is.

    A person's look-up is a handful of tiny statements, so building and compiling them each time would cost
    more than the database's own work; the compiled text is reused and the driver's statement cache applies.
    """
    memo = mapping.memo()
    shape = ("sql", connection.dialect.name, name, tuple(columns), tuple((c, len(v)) for c, v in conditions), lock)
    compiled = memo.get(shape)
    if compiled is None:
        target = clause(mapping, name, columns)
        matches = [
            target.c[col].in_([bindparam(f"v{index}_{n}") for n in range(len(values))])
            for index, (col, values) in enumerate(conditions)
        ]
        statement = select(*target.c).where(or_(*matches))
        if lock:
            statement = statement.with_for_update()
        done = statement.compile(dialect=connection.dialect)
        positions = list(done.positiontup or []) if connection.dialect.positional else None
        compiled = memo[shape] = (done.string, positions)
    sql, positions = compiled
    named = {f"v{index}_{n}": value for index, (_, values) in enumerate(conditions) for n, value in enumerate(values)}
    parameters: Any = tuple(named[p] for p in positions) if positions is not None else named
    return [dict(row._mapping) for row in connection.exec_driver_sql(sql, parameters)]


def failure(
    mapping: DatasetMapping, connection: Connection, table_name: str, doing: str, exc: Exception
) -> SystemFailed:
    url = connection.engine.url.render_as_string(hide_password=False)
    reason = scrub(str(getattr(exc, "orig", None) or exc).strip().splitlines()[0], url)
    return SystemFailed(
        f"system {mapping.system} ({mask_url(url)}): {doing} table {table_name} failed: {reason}; "
        "nothing was changed there",
        system=mapping.system,
        table=table_name,
    )
