"""`custos systems check`: a mapping against the live schema (and the policy), every mismatch with its line.

Errors stop an erasure from working (a missing table or column, a NULL written into a NOT NULL column, a table
a person is found in without an erasure rule, a category the policy lacks). Warnings are mappings that work but
probably not as meant: anonymised rows that would still match the person, a foreign key the mapping does not
declare (erasure order may break it), reference columns whose types differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Date, DateTime, Engine, Integer, Numeric, String, inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import TypeEngine

from custos.errors import Problem, SystemFailed
from custos.policy.findings import Finding, Loc, choice_hint
from custos.policy.models import Policy
from custos.systems.connect import mask_url, scrub
from custos.systems.mapping import NOT_PERSONAL, DatasetMapping, ErasureRule, LocatedMapping, TableMapping

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class CheckFinding:
    severity: Severity
    problem: Problem


def check_mapping(engine: Engine, located: LocatedMapping, policy: Policy | None = None) -> list[CheckFinding]:
    """Every mismatch between the mapping, the live schema and the policy, errors first, by line."""
    mapping = located.mapping
    url = engine.url.render_as_string(hide_password=False)
    found: list[tuple[Severity, Finding]] = []
    try:
        inspector = inspect(engine)
        existing = set(inspector.get_table_names(schema=mapping.schema_))
        columns: dict[str, dict[str, dict[str, Any]]] = {}
        foreign: dict[str, list[dict[str, Any]]] = {}
        for name in mapping.tables:
            if name in existing:
                columns[name] = {c["name"]: dict(c) for c in inspector.get_columns(name, schema=mapping.schema_)}
                foreign[name] = [dict(fk) for fk in inspector.get_foreign_keys(name, schema=mapping.schema_)]
    except SQLAlchemyError as exc:
        reason = scrub(str(getattr(exc, "orig", None) or exc).strip().splitlines()[0], url)
        raise SystemFailed(f"reading the schema of {mask_url(url)} failed: {reason}", system=mapping.system) from None
    for name, spec in mapping.tables.items():
        here: Loc = ("tables", name)
        if name not in columns:
            hint = choice_hint(name, existing, "tables in the database")
            found.append(("error", Finding(here, f"table {name} does not exist in the database", hint)))
            continue
        found += _table_findings(mapping, name, spec, columns)
        found += _undeclared_keys(mapping, name, foreign[name])
    found += _mapping_level(mapping, policy)
    ordered = sorted(found, key=lambda item: (item[0] != "error", located.line(item[1].loc) or 0))
    return [CheckFinding(severity, located.problem(finding)) for severity, finding in ordered]


def _table_findings(
    mapping: DatasetMapping, name: str, spec: TableMapping, columns: dict[str, dict[str, dict[str, Any]]]
) -> list[tuple[Severity, Finding]]:
    here: Loc = ("tables", name)
    live = columns[name]
    found: list[tuple[Severity, Finding]] = []

    def missing(loc: Loc, col: str) -> None:
        hint = choice_hint(col, live, f"columns of {name}")
        found.append(("error", Finding(loc, f"column {name}.{col} does not exist in the database", hint)))

    for index, col in enumerate(spec.key):
        if col not in live:
            missing((*here, "key", index) if len(spec.key) > 1 else (*here, "key"), col)
    for section in ("columns", "identity", "references"):
        for col in getattr(spec, section):
            if col not in live:
                missing((*here, section, col), col)
    for col, target in spec.references.items():
        parent, parent_col = target.split(".", 1)
        if col not in live or parent not in columns:
            continue
        if parent_col not in columns[parent]:
            hint = choice_hint(parent_col, columns[parent], f"columns of {parent}")
            found.append(("error", Finding((*here, "references", col), f"column {target} does not exist", hint)))
        elif _family(live[col]["type"]) != _family(columns[parent][parent_col]["type"]):
            found.append(("warning", Finding(
                (*here, "references", col),
                f"{name}.{col} is {live[col]['type']} but {target} is {columns[parent][parent_col]['type']}",
                "values may not compare equal; point the reference at a column of the same type",
            )))  # fmt: skip
    if spec.identity and spec.erase is None:
        found.append(("error", Finding((*here, "erase"), f"a person is found in {name} by identity, but the table "
                                       "has no erasure rule", "add `erase: delete`, `{anonymise: ...}` or a keep "
                                       "period")))  # fmt: skip
    elif spec.references and spec.erase is None:
        found.append(("warning", Finding((*here, "erase"), f"a person's rows are found in {name} through its "
                                         "references, but the table has no erasure rule, so they are always kept",
                                         "add an erase rule, or `erase: keep` to say so")))  # fmt: skip
    for loc, rule in _rules(here, spec.erase):
        if rule.from_ is not None:
            if rule.from_ not in live:
                missing((*loc, "from"), rule.from_)
            elif not isinstance(live[rule.from_]["type"], (Date, DateTime)):
                found.append(("warning", Finding((*loc, "from"), f"{name}.{rule.from_} is not a date column",
                                                 "count the period from a DATE or TIMESTAMP column")))  # fmt: skip
        for col, placeholder in (rule.anonymise or {}).items():
            where = (*loc, "anonymise", col)
            if col not in live:
                missing(where, col)
            elif placeholder is None and not live[col].get("nullable", True):
                found.append(("error", Finding(where, f"{name}.{col} is NOT NULL, so it cannot be set to null",
                                               "write a placeholder text instead of null")))  # fmt: skip
    return found


def _rules(here: Loc, rule: ErasureRule | None) -> list[tuple[Loc, ErasureRule]]:
    if rule is None:
        return []
    rules: list[tuple[Loc, ErasureRule]] = [((*here, "erase"), rule)]
    if rule.then is not None:
        rules.append(((*here, "erase", "then"), rule.then))
    return rules


def _undeclared_keys(mapping: DatasetMapping, name: str, keys: list[dict[str, Any]]) -> list[tuple[Severity, Finding]]:
    found: list[tuple[Severity, Finding]] = []
    declared = mapping.tables[name].references
    for fk in keys:
        parent = fk["referred_table"]
        if parent not in mapping.tables or parent == name or len(fk["constrained_columns"]) != 1:
            continue
        col = fk["constrained_columns"][0]
        if col not in declared:
            target = f"{parent}.{fk['referred_columns'][0]}"
            found.append(("warning", Finding(
                ("tables", name, "references"),
                f"the database has a foreign key {name}.{col} → {target} that the mapping does not declare",
                f"add `{col}: {target}` under references, or erasing {parent} rows may fail on it",
            )))  # fmt: skip
    return found


def _mapping_level(mapping: DatasetMapping, policy: Policy | None) -> list[tuple[Severity, Finding]]:
    found: list[tuple[Severity, Finding]] = []
    known = {category.id for category in policy.data_categories} if policy is not None else None
    for name, spec in mapping.tables.items():
        here: Loc = ("tables", name)
        if known is not None:
            for col, category in spec.columns.items():
                if category != NOT_PERSONAL and category not in known:
                    found.append(("error", Finding((*here, "columns", col),
                                                   f"{category!r} is not a data category of the policy",
                                                   choice_hint(category, known, "data categories"))))  # fmt: skip
        for loc, rule in _rules(here, spec.erase):
            if rule.anonymise is None:
                continue
            # A reference left in place keeps pointing at the person's parent row: found again if that row is
            # kept, a broken foreign key if it is deleted.
            still = [col for col in [*spec.identity, *spec.references] if col not in rule.anonymise]
            if still:
                found.append(("warning", Finding(
                    (*loc, "anonymise"),
                    f"anonymised {name} rows would still be found through {', '.join(still)}",
                    "anonymise those columns too, so a second erasure finds nothing",
                )))  # fmt: skip
        for ref in mapping.reference_list():
            if ref.table != name or spec.erase is None or spec.erase.kind not in ("keep", "keep_until"):
                continue
            parent_rule = mapping.tables[ref.parent].erase if ref.parent in mapping.tables else None
            if spec.erase.kind == "keep" and parent_rule is not None and parent_rule.kind == "delete":
                found.append(("warning", Finding(
                    (*here, "erase"),
                    f"{name} rows are always kept but the {ref.parent} rows they point at are deleted",
                    f"the delete fails on a foreign key; anonymise {ref.parent} instead, or keep it too",
                )))  # fmt: skip
    return found


def _family(type_: TypeEngine[Any]) -> str:
    for family, kinds in (("integer", (Integer,)), ("number", (Numeric,)), ("text", (String,)),
                          ("datetime", (DateTime,)), ("date", (Date,))):  # fmt: skip
        if isinstance(type_, kinds):
            return family
    return type(type_).__name__
