"""Export: every row of a person in one customer system, per table, with the data category of each column."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from custos.errors import SystemFailed
from custos.systems.connect import READ_ONLY, mask_url, scrub
from custos.systems.find import walk
from custos.systems.keys import SubjectKeys
from custos.systems.mapping import DatasetMapping


@dataclass
class TableExport:
    table: str
    categories: dict[str, str]  # column → data category id, or "none"; only mapped columns are exported
    rows: list[dict[str, Any]]  # JSON-able values: dates, times and decimals as text, bytes as base64


def export_subject(engine: Engine, mapping: DatasetMapping, keys: SubjectKeys) -> list[TableExport]:
    """The person's rows in every mapped table where they have any, parents first."""
    return list(iter_export(engine, mapping, keys))


def iter_export(engine: Engine, mapping: DatasetMapping, keys: SubjectKeys) -> Iterator[TableExport]:
    """Table by table, read in one transaction (one consistent view of the system)."""
    if not keys:
        return
    extra = {name: list(spec.columns) for name, spec in mapping.tables.items()}
    try:
        connection = engine.connect()
    except SQLAlchemyError as exc:
        raise _unreachable(mapping, engine, exc) from None
    with connection, connection.execution_options(**{READ_ONLY: True}).begin():
        for found in walk(connection, mapping, keys, extra):
            categories = dict(mapping.tables[found.table].columns)
            rows = [{col: jsonable(row[col]) for col in categories} for row in found.rows]
            yield TableExport(found.table, categories, rows)


def jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)


def _unreachable(mapping: DatasetMapping, engine: Engine, exc: Exception) -> SystemFailed:
    url = engine.url.render_as_string(hide_password=False)
    reason = scrub(str(getattr(exc, "orig", None) or exc).strip().splitlines()[0], url)
    return SystemFailed(
        f"system {mapping.system}: cannot connect to {mask_url(url)}: {reason}", system=mapping.system, table=None
    )
