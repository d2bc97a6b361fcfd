"""Erasure of a person in one customer system: one transaction, children before parents, each table's rule.

Rules (docs/systems.md): `delete`; `anonymise` (named columns set to NULL or a placeholder; amounts and dates
stay for bookkeeping); `keep` (never changed); a keep period such as Bokföringslagen's seven years, counted from
a date column — rows still inside it are kept and reported with the date they may go, rows past it get the
table's `then:` rule. A row that kept rows of another table point at is kept as long as they are, so no foreign
key is broken and a later erasure still finds it. The person's rows are locked when found. Any failure rolls the
whole system back and raises `SystemFailed` naming the system and the table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import BindParameter, Connection, Engine, Executable, bindparam, delete, or_, tuple_, update
from sqlalchemy.exc import SQLAlchemyError

from custos.systems.export import _unreachable
from custos.systems.find import CHUNK, Conditions, Row, clause, failure, walk
from custos.systems.graph import children_of, erase_order, parents_of
from custos.systems.keys import SubjectKeys
from custos.systems.mapping import DatasetMapping, ErasureRule


@dataclass
class TableOutcome:
    deleted: int = 0
    anonymised: int = 0
    kept: int = 0
    kept_until: date | None = None  # the last day the latest kept row must stay, when a period keeps them
    reason: str | None = None  # why rows were kept


@dataclass
class ErasureOutcome:
    tables: dict[str, TableOutcome] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return sum(outcome.deleted + outcome.anonymised for outcome in self.tables.values())

    @property
    def kept(self) -> int:
        return sum(outcome.kept for outcome in self.tables.values())

    @property
    def kept_until(self) -> date | None:
        dates = [outcome.kept_until for outcome in self.tables.values() if outcome.kept_until is not None]
        return max(dates) if dates else None


# (column, value, kept until, the child table whose kept row points there)
Pin = tuple[str, Any, date | None, str]

# Called after each table is done, inside the transaction: progress for a caller; raising from it rolls back.
TableHook = Callable[[str, TableOutcome], None]

# What an erasure must leave (custos.retention.keep): data category → (why, the first day it may go; None: no
# end yet). A row holding a kept category is never deleted, and a kept column is never anonymised.
Keep = Mapping[str, tuple[str, date | None]]


def erase_subject(
    engine: Engine,
    mapping: DatasetMapping,
    keys: SubjectKeys,
    *,
    today: date,
    on_table: TableHook | None = None,
    keep: Keep | None = None,
) -> ErasureOutcome:
    """Erase the person in this system; returns counts per table where they had rows. Idempotent.

    `keep` names the categories the law or a reviewer keeps (Art. 17(3)): a table that maps a column to one of
    them keeps the person's rows (with the reason and the date they may go) where its rule would delete them,
    and leaves that column alone where its rule anonymises."""
    outcome = ErasureOutcome()
    keep = keep or {}
    if not keys:
        return outcome
    try:
        connection = engine.connect()
    except SQLAlchemyError as exc:
        raise _unreachable(mapping, engine, exc) from None
    with connection, connection.begin():
        extra = {name: [spec.erase.from_] for name, spec in mapping.tables.items() if spec.erase and spec.erase.from_}
        # Leaves deleted outright are not read first: one DELETE with the walk's conditions does it.
        leaves = frozenset(
            name for name, spec in mapping.tables.items()
            if spec.erase is not None and spec.erase.kind == "delete" and not children_of(mapping, name)
            and not _held(spec.columns, keep)
        )  # fmt: skip
        walked = list(walk(connection, mapping, keys, extra, lock=True, defer=leaves))
        found = {item.table: item.rows for item in walked}
        deferred = {item.table: item.conditions for item in walked if item.conditions}
        pins: dict[str, list[Pin]] = {}  # parent table → its rows that kept rows point at
        for name in erase_order(mapping):
            if name in deferred:
                result = TableOutcome(deleted=_delete_matching(connection, mapping, name, deferred[name]))
                if result.deleted:
                    outcome.tables[name] = result
                    if on_table is not None:
                        on_table(name, result)
                continue
            rows = found.get(name)
            if not rows:
                continue
            result, kept_rows = _erase_table(connection, mapping, name, rows, pins.get(name, []), today, keep)
            for ref in parents_of(mapping, name):
                for row, until in kept_rows:
                    if row.get(ref.column) is not None:
                        pins.setdefault(ref.parent, []).append((ref.parent_column, row[ref.column], until, name))
            outcome.tables[name] = result
            if on_table is not None:
                on_table(name, result)
    return outcome


def _erase_table(
    connection: Connection,
    mapping: DatasetMapping,
    name: str,
    rows: list[Row],
    pins: list[Pin],
    today: date,
    keep: Keep,
) -> tuple[TableOutcome, list[tuple[Row, date | None]]]:
    """Apply one table's rule; returns its counts and the rows kept for a period (which pin their parents)."""
    spec = mapping.tables[name]
    held = _held(spec.columns, keep)
    result = TableOutcome()
    kept: list[tuple[Row, date | None]] = []
    pinned = _pinned(rows, pins)
    free: list[Row] = []
    for row in rows:
        index = id(row)
        if index in pinned:
            kept.append((row, pinned[index]))
        else:
            free.append(row)
    reasons: list[str] = []
    if kept:
        referrers = ", ".join(sorted({pin[3] for pin in pins}))
        reasons.append(f"rows kept in {referrers} refer to them")
    rule = spec.erase
    if rule is None or rule.kind == "keep":
        if free:
            result.kept += len(free)
            reasons.append("the mapping keeps this table" if rule else "the mapping gives this table no erasure rule")
        free = []
    elif rule.kind == "keep_until":
        assert rule.from_ is not None
        due: list[Row] = []
        before = len(kept)
        for row in free:
            start = _as_date(row.get(rule.from_))
            if start is None:  # no date to count from: the obligation cannot be shown to have ended
                kept.append((row, None))
                continue
            until = rule.kept_until(start)
            if until >= today:
                kept.append((row, until))
            else:
                due.append(row)
        if len(kept) > before:
            law = f"{rule.law}: " if rule.law else ""
            reasons.append(
                f"{law}kept {rule.keep} from {rule.from_}"
                + (" to the end of that year" if rule.round == "end_of_year" else "")
            )
        free, rule = due, rule.then
    if held:
        if free and rule is not None:
            rule = _sparing(rule, held)
            if rule is None:  # the rule would destroy a kept category: the rows stay, with the law and its date
                ends = [end for _, end in held.values()]
                last = None if any(end is None for end in ends) else max(end for end in ends if end is not None)
                kept += [(row, last) for row in free]
                free = []
        reasons += sorted({why for why, _ in held.values()})
    result.kept += len(kept)
    dates = [until for _, until in kept if until is not None]
    result.kept_until = max(dates) if dates else None
    result.reason = "; ".join(reasons) or None
    if free and rule is not None:
        try:
            _apply(connection, mapping, name, free, rule, result)
        except SQLAlchemyError as exc:
            raise failure(mapping, connection, name, "erasing in", exc) from None
    return result, kept


def _held(columns: Mapping[str, str], keep: Keep) -> dict[str, tuple[str, date | None]]:
    """The table's columns whose category is kept, with why and until when."""
    return {column: keep[category] for column, category in columns.items() if category in keep}


def _sparing(rule: ErasureRule, held: Mapping[str, object]) -> ErasureRule | None:
    """The rule with the kept columns left alone; None when it cannot spare them (a delete, or an anonymisation
    of nothing but kept columns)."""
    if rule.kind != "anonymise" or rule.anonymise is None:
        return None
    rest = {column: value for column, value in rule.anonymise.items() if column not in held}
    return ErasureRule(anonymise=rest) if rest else None


def _apply(
    connection: Connection, mapping: DatasetMapping, name: str, rows: list[Row], rule: ErasureRule, result: TableOutcome
) -> None:
    key = mapping.tables[name].key
    statement = _keyed(mapping, name, rule)
    values = list(dict.fromkeys(tuple(row[k] for k in key) for row in rows))
    for start in range(0, len(values), CHUNK):
        chunk = values[start : start + CHUNK]
        bound = [value[0] for value in chunk] if len(key) == 1 else chunk
        done = connection.execute(statement, {"keys": bound}).rowcount
        if rule.kind == "delete":
            result.deleted += done
        else:
            result.anonymised += len(chunk)  # MariaDB counts only rows whose values changed


def _keyed(mapping: DatasetMapping, name: str, rule: ErasureRule) -> Executable:
    """DELETE or UPDATE of rows by key, built once per mapping and rule."""
    memo = mapping.memo()
    cache_key = ("keyed", name, rule.kind, tuple((rule.anonymise or {}).items()))
    statement = memo.get(cache_key)
    if statement is None:
        key = mapping.tables[name].key
        target = clause(mapping, name, [*key, *(rule.anonymise or {})])
        keys: BindParameter[Any] = bindparam("keys", expanding=True)
        where = target.c[key[0]].in_(keys) if len(key) == 1 else tuple_(*(target.c[k] for k in key)).in_(keys)
        if rule.kind == "delete":
            statement = delete(target).where(where)
        else:
            statement = update(target).where(where).values(dict(rule.anonymise or {}))
        memo[cache_key] = statement
    return cast(Executable, statement)


def _delete_matching(connection: Connection, mapping: DatasetMapping, name: str, conditions: Conditions) -> int:
    """DELETE the rows of a leaf table that match the walk's conditions (`col IN (...) OR ...`)."""
    memo = mapping.memo()
    deleted = 0
    try:
        if all(len(values) <= CHUNK for _, values in conditions):
            groups = [conditions]
        else:
            groups = [[(col, values[start : start + CHUNK])] for col, values in conditions
                      for start in range(0, len(values), CHUNK)]  # fmt: skip
        for group in groups:
            columns = tuple(col for col, _ in group)
            statement = memo.get(("delete", name, columns))
            if statement is None:
                target = clause(mapping, name, columns)
                matches = [
                    target.c[col].in_(bindparam(f"v{index}", expanding=True)) for index, col in enumerate(columns)
                ]
                statement = memo[("delete", name, columns)] = delete(target).where(or_(*matches))
            parameters = {f"v{index}": values for index, (_, values) in enumerate(group)}
            deleted += connection.execute(statement, parameters).rowcount
    except SQLAlchemyError as exc:
        raise failure(mapping, connection, name, "erasing in", exc) from None
    return deleted


def _pinned(rows: list[Row], pins: list[Pin]) -> dict[int, date | None]:
    pinned: dict[int, date | None] = {}
    if not pins:
        return pinned
    by_column: dict[str, dict[Any, date | None]] = {}
    for col, value, until, _child in pins:
        current = by_column.setdefault(col, {})
        previous = current.get(value, until)
        current[value] = None if previous is None or until is None else max(previous, until)
    for row in rows:
        for col, values in by_column.items():
            if row.get(col) in values:
                until = values[row[col]]
                before = pinned.get(id(row), until)
                pinned[id(row)] = None if before is None or until is None else max(before, until)
    return pinned


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:  # SQLite keeps dates as text
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
