"""The dataset mapping of one customer system: its tables, what each column holds, how a person is found in it,
and what erasure means per table. Written in YAML (see docs/systems.md); every problem is reported at once with
its path, line and a fix, the same way as the policy file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from custos.errors import InvalidInput, Problem
from custos.policy._base import CategoryId, DatePeriod, Slug
from custos.policy.durations import Duration, add_duration
from custos.policy.findings import Finding, Loc, choice_hint
from custos.policy.locator import NodeLocator
from custos.policy.messages import problem_from_error
from custos.policy.models import Policy
from custos.systems.graph import find_cycle
from custos.systems.keys import IdentityKind

# Names as a database writes them; quoting is left to SQLAlchemy, so any identifier without a dot will do.
Name = Annotated[str, StringConstraints(pattern=r"^[^.\s][^.]*$", strip_whitespace=True)]
Target = Annotated[str, StringConstraints(pattern=r"^[^.\s][^.]*\.[^.\s][^.]*$", strip_whitespace=True)]
NOT_PERSONAL = "none"


class _MappingModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, serialize_by_alias=True, str_strip_whitespace=True
    )


class ErasureRule(_MappingModel):
    """`delete`, `keep`, `{anonymise: ...}`, or `{keep: P7Y, from: column, then: <rule>}`."""

    delete: bool = Field(default=False, description="delete the person's rows")
    anonymise: dict[Name, str | None] | None = Field(
        default=None, description="columns to overwrite: NULL (null) or a fixed placeholder text"
    )
    keep: Literal[True] | DatePeriod | None = Field(
        default=None, description="true: never change these rows; a period such as P7Y: keep that long"
    )
    from_: Name | None = Field(default=None, alias="from", description="the date column the period counts from")
    round: Literal["none", "end_of_year"] = Field(
        default="none", description="end_of_year: the period ends at the end of its last calendar year"
    )
    law: str | None = Field(default=None, description="the legal obligation, e.g. Bokföringslagen 7 kap. 2 §")
    then: ErasureRule | None = Field(default=None, description="the rule for rows past the period")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if value in ("delete", "keep"):
            return {value: True}
        if isinstance(value, dict) and isinstance(value.get("anonymise"), list):
            return {**value, "anonymise": dict.fromkeys(value["anonymise"])}
        return value

    @model_validator(mode="after")
    def _one_action(self) -> ErasureRule:
        chosen = [
            name
            for name, on in (
                ("delete", self.delete),
                ("anonymise", self.anonymise is not None),
                ("keep", self.keep is not None),
            )
            if on
        ]
        if len(chosen) != 1:
            raise ValueError(
                "write exactly one of delete, anonymise or keep (found: " + (", ".join(chosen) or "none") + ")"
            )
        if self.anonymise is not None and not self.anonymise:
            raise ValueError("anonymise names no columns; list the columns to overwrite")
        period = isinstance(self.keep, Duration)
        if period and (self.from_ is None or self.then is None):
            raise ValueError(
                "a keep period needs `from:` (the date column it counts from) and `then:` (the rule after)"
            )
        if not period and (self.from_ is not None or self.then is not None or self.law is not None):
            raise ValueError("`from:`, `then:` and `law:` belong with a keep period such as `keep: P7Y`")
        if self.then is not None and self.then.kind not in ("delete", "anonymise"):
            raise ValueError("`then:` must be delete or {anonymise: ...}")
        return self

    @property
    def kind(self) -> Literal["delete", "anonymise", "keep", "keep_until"]:
        if self.delete:
            return "delete"
        if self.anonymise is not None:
            return "anonymise"
        return "keep_until" if isinstance(self.keep, Duration) else "keep"

    def kept_until(self, start: date) -> date:
        """The last day rows dated `start` must be kept, for a keep period."""
        assert isinstance(self.keep, Duration)
        end = add_duration(start, self.keep)
        return end.replace(month=12, day=31) if self.round == "end_of_year" else end


class TableMapping(_MappingModel):
    key: list[Name] = Field(default=["id"], min_length=1, description="the primary key column(s)")
    columns: dict[Name, CategoryId | Literal["none"]] = Field(
        default_factory=dict, description="column: data category id from the policy, or none"
    )
    identity: dict[Name, IdentityKind] = Field(
        default_factory=dict, description="column: email, phone or external_id — how a person is found here"
    )
    references: dict[Name, Target] = Field(
        default_factory=dict, description="column: table.column it points to (the rows it belongs to)"
    )
    erase: ErasureRule | None = Field(default=None, description="delete, keep, {anonymise: ...} or a keep period")
    rectify: dict[Name, Literal["name", "title"]] = Field(
        default_factory=dict, description="column: name or title — where a rectification writes the corrected value"
    )

    @field_validator("key", mode="before")
    @classmethod
    def _one_key(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class DatasetMapping(_MappingModel):
    system: Slug = Field(description="the system's id in the policy's `systems`")
    schema_: Name | None = Field(default=None, alias="schema", description="database schema of the tables")
    tables: dict[Name, TableMapping] = Field(min_length=1)
    # Derived once per mapping and reused by every request: the reference graph and prepared statements.
    _memo: dict[Any, Any] = PrivateAttr(default_factory=dict)

    def memo(self) -> dict[Any, Any]:
        return self._memo

    def reference_list(self) -> list[Reference]:
        return [
            Reference(table, column, *target.split(".", 1))
            for table, spec in self.tables.items()
            for column, target in spec.references.items()
        ]


@dataclass(frozen=True)
class Reference:
    """`table.column` holds values of `parent.parent_column`: its rows belong to those parent rows."""

    table: str
    column: str
    parent: str
    parent_column: str


@dataclass(frozen=True)
class LocatedMapping:
    mapping: DatasetMapping
    locator: NodeLocator
    source: str

    def line(self, loc: Loc) -> int | None:
        return self.locator.locate(loc, missing_key=True)[1]

    def problem(self, finding: Finding) -> Problem:
        return Problem(location=finding.path, line=self.line(finding.loc), message=finding.message, hint=finding.hint)


def load_mapping(path: Path, policy: Policy | None = None) -> DatasetMapping:
    """Load and validate a mapping file; raises InvalidInput with every problem, its line and a fix."""
    return load_located(path, policy).mapping


def parse_mapping(text: str, source: str = "<mapping>", policy: Policy | None = None) -> DatasetMapping:
    return parse_located(text, source, policy).mapping


def load_located(path: Path, policy: Policy | None = None) -> LocatedMapping:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problem = Problem(location=str(path), message=f"cannot read the mapping: {error}", hint="check the path")
        raise InvalidInput(f"{path}: cannot read the mapping file", [problem]) from None
    return parse_located(text, str(path), policy)


def parse_located(text: str, source: str = "<mapping>", policy: Policy | None = None) -> LocatedMapping:
    root, data, problems = _compose(text)
    locator = NodeLocator(root)
    mapping: DatasetMapping | None = None
    if not problems:
        problems += locator.duplicate_keys()
        try:
            mapping = DatasetMapping.model_validate(data)
        except ValidationError as error:
            problems += [_problem(details, locator) for details in error.errors()]
    if mapping is not None:
        located = LocatedMapping(mapping, locator, source)
        problems += [located.problem(finding) for finding in mapping_findings(mapping, policy)]
    if problems or mapping is None:
        problems.sort(key=lambda problem: problem.line or 0)
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        raise InvalidInput(f"{source}: {count} in the mapping", problems)
    return LocatedMapping(mapping, locator, source)


def mapping_findings(mapping: DatasetMapping, policy: Policy | None = None) -> list[Finding]:
    """Errors that span tables: references to unmapped tables, cycles, columns a rule names twice, categories."""
    findings: list[Finding] = []
    known = [category.id for category in policy.data_categories] if policy is not None else None
    for name, table in mapping.tables.items():
        here: Loc = ("tables", name)
        for column, target in table.references.items():
            parent, parent_column = target.split(".", 1)
            if parent not in mapping.tables:
                findings.append(
                    Finding(
                        (*here, "references", column),
                        f"{target} points to a table the mapping does not list",
                        choice_hint(parent, mapping.tables, "mapped tables"),
                    )
                )
            elif parent == name:
                findings.append(
                    Finding(
                        (*here, "references", column),
                        f"{target} points back into the same table",
                        "a self-reference does not say which rows belong to the person; leave it out",
                    )
                )
            del parent_column
        if known is not None:
            for column, category in table.columns.items():
                if category != NOT_PERSONAL and category not in known:
                    findings.append(
                        Finding(
                            (*here, "columns", column),
                            f"{category!r} is not a data category of the policy",
                            choice_hint(category, [*known, NOT_PERSONAL], "data categories"),
                        )
                    )
        for column in table.rectify:
            if table.columns.get(column, NOT_PERSONAL) == NOT_PERSONAL:
                findings.append(
                    Finding(
                        (*here, "rectify", column),
                        f"{column} is corrected by a rectification but not listed as personal data in `columns`",
                        "give the column its data category (such as contact.name) under `columns`",
                    )
                )
        rule = table.erase
        if rule is not None and rule.kind == "keep_until" and rule.from_ in table.key:
            findings.append(
                Finding(
                    (*here, "erase", "from"),
                    "the keep period counts from a key column",
                    "name the date column the period counts from",
                )
            )
    cycle = find_cycle(mapping)
    if cycle:
        first = cycle[0]
        column = next(c for c, t in mapping.tables[first].references.items() if t.split(".", 1)[0] == cycle[1])
        findings.append(
            Finding(
                ("tables", first, "references", column),
                "references go round in a circle: " + " → ".join(cycle),
                "keep only the references that say which rows belong to whom (child → parent)",
            )
        )
    return findings


def _problem(details: ErrorDetails, locator: NodeLocator) -> Problem:
    problem = problem_from_error(details, DatasetMapping, locator)
    if details["type"] != "extra_forbidden":
        return problem
    # The policy's messages cannot see through `tables:` (a dict of models); name the allowed keys here.
    loc = [part for part in details["loc"] if part not in ("function-after[_one_action()]",)]
    model: type[BaseModel] = DatasetMapping
    if len(loc) >= 3 and loc[0] == "tables":
        model = TableMapping if len(loc) == 3 else ErasureRule
    allowed = [field.alias or name for name, field in model.model_fields.items()]
    return replace(problem, hint=choice_hint(str(loc[-1]), allowed, "allowed keys here"))


def _compose(text: str) -> tuple[yaml.Node | None, object, list[Problem]]:
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        reason = " ".join(part for part in (error.context, error.problem) if part)
        line = mark.line + 1 if mark is not None else None
        return None, None, [Problem("(file)", f"not valid YAML: {reason}", line, "check indentation and quoting")]
    except yaml.YAMLError as error:
        return None, None, [Problem("(file)", f"not valid YAML: {error}")]
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        hint = "start with `system: <id>` and `tables:` (see docs/systems.md)"
        return root, data, [Problem("(file)", "the mapping must be a mapping with `system:` and `tables:`", None, hint)]
    return root, data, []
