"""Confirming a scanned data map: a scan stored for review, each table accepted or rejected, then confirmed.

The scan runs on the server against the system's own connection (the URL in the environment variable its
policy entry names): the server must reach the system anyway to export and erase, so a map the server cannot
scan is a map it could not use. What the person chose becomes a mapping file written where the policy's
`mapping:` says, after it passed the same checks as `custos policy check` (the mapping against the policy)
and `custos systems check` (the mapping against the live schema); a mapping that fails is refused with each
problem at its table and column, and nothing is written. The file is where every process (server, workers,
the CLI) already reads a system's mapping, beside the policy, and reviewed like it; each confirmed version and
the text it replaced stay in `system_scan` (see docs/systems.md, "Confirming a scan in the admin").
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from custos.audit.actions import Action
from custos.errors import ConfigurationError, Conflict, InvalidInput, NotFound, Problem
from custos.systems.check import check_mapping
from custos.systems.connect import mask_url, system_engines
from custos.systems.connectors import connector_for
from custos.systems.connectors.sql import connection_url, mapping_path
from custos.systems.mapping import parse_located
from custos.systems.scan import DEFAULT_SAMPLE, ScanResult, TableProposal, scan_system
from custos.systems.scan_models import SystemScan, SystemScanTable

if TYPE_CHECKING:
    from custos.runtime import Runtime
    from custos.work import Work

IDENTITY_KINDS = ("email", "phone", "external_id")
ERASE_CHOICES = ("proposed", "delete", "keep", "anonymise")
DECISIONS = ("accepted", "rejected")
PAGE_SIZE = 50


@dataclass(frozen=True)
class ColumnView:
    name: str
    proposed_category: str
    proposed_identity: str | None
    reason: str | None
    category: str  # as chosen (the proposal until someone changes it)
    identity: str | None
    nullable: bool
    is_text: bool


@dataclass(frozen=True)
class TableView:
    index: int
    name: str
    decision: str  # pending | accepted | rejected
    key: list[str]
    columns: list[ColumnView]
    references: dict[str, str]
    notes: list[str]
    proposed_erase: dict[str, Any] | str | None
    erase_reason: str | None
    erase_choice: str

    @property
    def personal(self) -> list[ColumnView]:
        return [c for c in self.columns if c.category != "none"]

    @property
    def identity(self) -> list[ColumnView]:
        return [c for c in self.columns if c.identity]


@dataclass(frozen=True)
class ScanView:
    id: int
    system_id: str
    system_name: str
    state: str
    source: str
    started_by: str
    started_at: Any
    decided_by: str | None
    decided_at: Any
    version: int | None
    tables: list[TableView]
    left_out: list[tuple[str, str]]
    subjects: list[str]  # whose data: the subject categories of the activities that use this system
    mapping_file: str | None
    replaces: bool  # a mapping file exists and confirming replaces it (the old text is kept here)

    @property
    def accepted(self) -> list[TableView]:
        return [t for t in self.tables if t.decision == "accepted"]

    @property
    def rejected(self) -> list[TableView]:
        return [t for t in self.tables if t.decision == "rejected"]


@dataclass(frozen=True)
class TableChoice:
    """What the person chose for one table (by its position in the scan)."""

    decision: str
    categories: dict[str, str] = field(default_factory=dict)
    identities: dict[str, str | None] = field(default_factory=dict)
    erase: str = "proposed"


@dataclass(frozen=True)
class ScanSummary:
    id: int
    system_id: str
    state: str
    tables: int
    started_by: str
    started_at: Any
    version: int | None


# -- scanning -----------------------------------------------------------------------------------------------


def scan_connected(runtime: Runtime, system_id: str, *, sample: int | None = None) -> tuple[ScanResult, str]:
    """Scan a sql system through its own connection; returns the proposals and the masked URL scanned."""
    system = runtime.policy.system(system_id)
    if not connector_for(system).scannable:
        raise InvalidInput(
            "only a connected database can be scanned",
            [Problem("system", f"{system.name} is a {system.kind} system, not a database Custos connects to")],
        )
    try:
        url = connection_url(runtime, system)
    except ConfigurationError as exc:  # the variable is not set
        raise InvalidInput(str(exc), [Problem("system", str(exc), hint="set it where Custos runs")]) from None
    engine = system_engines(runtime).engine(url)
    result = scan_system(
        engine,
        system=system_id,
        sample=DEFAULT_SAMPLE if sample is None else sample,
        phone_region=runtime.policy.jurisdiction.phone_region,
    )
    return result, mask_url(url)


def store_scan(work: Work, result: ScanResult, source: str) -> int:
    """Keep a scan's proposals for review (nothing of a person: names of tables and columns only); audited."""
    session = work.session
    scan = SystemScan(
        system_id=result.system,
        state="open",
        source=source[:300],
        schema_name=result.schema,
        left_out=[list(item) for item in result.left_out],
        started_by=work.actor.label,
        started_at=work.clock.now(),
    )
    session.add(scan)
    session.flush()
    for position, table in enumerate(result.tables):
        session.add(
            SystemScanTable(
                scan_id=scan.id, position=position, name=table.name, decision="pending", proposal=_stored(table)
            )
        )
    session.flush()
    work.audit(
        Action.SYSTEM_SCAN,
        target=f"system:{result.system}",
        reference=f"scan:{scan.id}",
        details={"tables": len(result.tables), "left_out": len(result.left_out)},
    )
    return scan.id


def _stored(table: TableProposal) -> dict[str, Any]:
    return {
        "key": table.key,
        "columns": [
            {
                "name": c.name,
                "category": c.category,
                "identity": c.identity,
                "reason": c.reason,
                "nullable": c.nullable,
                "is_text": c.is_text,
            }
            for c in table.columns
        ],
        "references": table.references,
        "notes": table.notes,
        "erase": table.erase,
        "erase_reason": table.erase_reason,
    }


# -- reading ------------------------------------------------------------------------------------------------


def list_scans(work: Work, *, page: int = 1) -> tuple[list[ScanSummary], bool]:
    """Scans newest first, a page at a time; the flag says whether another page follows."""
    counts = select(SystemScanTable.scan_id, func.count().label("n")).group_by(SystemScanTable.scan_id).subquery()
    rows = work.session.execute(
        select(SystemScan, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.scan_id == SystemScan.id)
        .order_by(SystemScan.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    found = [
        ScanSummary(s.id, s.system_id, s.state, int(n), s.started_by, s.started_at, s.version)
        for s, n in rows[:PAGE_SIZE]
    ]
    return found, len(rows) > PAGE_SIZE


def scan_view(work: Work, runtime: Runtime, scan_id: int) -> ScanView:
    """The scan's proposals and choices, with what its mapping file would replace."""
    session = work.session
    scan = session.get(SystemScan, scan_id)
    if scan is None:
        raise NotFound(f"There is no scan {scan_id}.")
    policy = runtime.policy
    system = policy.system(scan.system_id)
    path = mapping_path(runtime.settings.policy_path, system)
    tables = [_table_view(row) for row in _rows(session, scan_id)]
    subjects: list[str] = sorted(
        {policy.subject_category(s).name for a in policy.activities if system.id in a.systems for s in a.subjects}
    )
    return ScanView(
        id=scan.id,
        system_id=system.id,
        system_name=system.name,
        state=scan.state,
        source=scan.source,
        started_by=scan.started_by,
        started_at=scan.started_at,
        decided_by=scan.decided_by,
        decided_at=scan.decided_at,
        version=scan.version,
        tables=tables,
        left_out=[(str(a), str(b)) for a, b in scan.left_out],
        subjects=subjects,
        mapping_file=system.mapping,
        replaces=path is not None and path.is_file(),
    )


def _rows(session: Session, scan_id: int) -> list[SystemScanTable]:
    return list(
        session.scalars(
            select(SystemScanTable).where(SystemScanTable.scan_id == scan_id).order_by(SystemScanTable.position)
        )
    )


def _table_view(row: SystemScanTable) -> TableView:
    proposal, chosen = row.proposal, row.chosen or {}
    categories, identities = chosen.get("categories", {}), chosen.get("identities", {})
    columns = [
        ColumnView(
            name=c["name"],
            proposed_category=c["category"],
            proposed_identity=c["identity"],
            reason=c["reason"],
            category=categories.get(c["name"], c["category"]),
            identity=identities[c["name"]] if c["name"] in identities else c["identity"],
            nullable=bool(c["nullable"]),
            is_text=bool(c["is_text"]),
        )
        for c in proposal["columns"]
    ]
    default_erase = "proposed" if proposal["erase"] is not None else "delete"
    return TableView(
        index=row.position,
        name=row.name,
        decision=row.decision,
        key=list(proposal["key"]),
        columns=columns,
        references=dict(proposal["references"]),
        notes=list(proposal["notes"]),
        proposed_erase=proposal["erase"],
        erase_reason=proposal["erase_reason"],
        erase_choice=chosen.get("erase", default_erase),
    )


# -- choosing and confirming --------------------------------------------------------------------------------


def save_choices(work: Work, scan_id: int, choices: dict[int, TableChoice]) -> list[Problem]:
    """Record what was chosen per table; returns what is incomplete (a table neither accepted nor rejected).

    The choices are kept even when incomplete, to be corrected; `check_map` then checks the map they make."""
    session = work.session
    _open(session, scan_id)
    problems: list[Problem] = []
    known = {c.id for c in work.policy.data_categories} | {"none"}
    for row in _rows(session, scan_id):
        choice = choices.get(row.position)
        if choice is None or choice.decision not in DECISIONS:
            problems.append(Problem(f"tables.{row.name}", "accept or reject this table"))
            choice = choice or TableChoice(decision="pending")
        else:
            row.decision = choice.decision
        columns = {c["name"] for c in row.proposal["columns"]}
        for column, category in choice.categories.items():
            if column in columns and category not in known:
                problems.append(
                    Problem(f"tables.{row.name}.columns.{column}", f"{category!r} is not a data category of the policy")
                )
        row.chosen = {
            "categories": {k: v for k, v in choice.categories.items() if k in columns},
            "identities": {
                k: (v if v in IDENTITY_KINDS else None) for k, v in choice.identities.items() if k in columns
            },
            "erase": choice.erase if choice.erase in ERASE_CHOICES else "proposed",
        }
    session.flush()
    return problems


def check_map(work: Work, runtime: Runtime, scan_id: int, problems: list[Problem] | None = None) -> ScanView:
    """The scan's map checked against the policy and the live schema; raises InvalidInput naming each problem.

    Problems are located as the mapping names them (`tables.<table>.columns.<column>`), so a form can show
    each next to its table and column."""
    if problems:
        raise InvalidInput("the map is not complete", problems)
    view = scan_view(work, runtime, scan_id)
    _validated(runtime, view)
    return view


def confirm_scan(work: Work, runtime: Runtime, scan_id: int) -> int:
    """Write the accepted map as the system's mapping, after the policy's and the live schema's checks.

    Returns the system's new data map version; audited as `system.mapping_confirmed`."""
    session = work.session
    scan = _open(session, scan_id)
    view = scan_view(work, runtime, scan_id)
    if any(t.decision == "pending" for t in view.tables):
        raise Conflict("Every table must be accepted or rejected before the map is confirmed.")
    text = _validated(runtime, view)
    system = runtime.policy.system(scan.system_id)
    path = mapping_path(runtime.settings.policy_path, system)
    assert path is not None  # a sql system always names its mapping (policy validation)
    replaced = path.read_text(encoding="utf-8") if path.is_file() else None
    version = 1 + int(
        session.scalar(
            select(func.count())
            .select_from(SystemScan)
            .where(SystemScan.system_id == scan.system_id, SystemScan.state == "confirmed")
        )
        or 0
    )
    scan.state, scan.version = "confirmed", version
    scan.decided_by, scan.decided_at = work.actor.label, work.clock.now()
    scan.mapping_text, scan.replaced_text = text, replaced
    session.flush()
    work.audit(
        Action.SYSTEM_MAPPING_CONFIRMED,
        target=f"system:{scan.system_id}",
        reference=f"scan:{scan.id}",
        details={
            "version": version,
            "accepted": [t.name for t in view.accepted],
            "rejected": [t.name for t in view.rejected],
            "replaced": replaced is not None,
        },
    )
    _write(path, text)  # last: a failure to write rolls the transaction (and its audit event) back
    return version


def discard_scan(work: Work, scan_id: int) -> None:
    scan = _open(work.session, scan_id)
    scan.state, scan.decided_by, scan.decided_at = "discarded", work.actor.label, work.clock.now()
    work.audit(Action.SYSTEM_SCAN_DISCARDED, target=f"system:{scan.system_id}", reference=f"scan:{scan.id}")


def _open(session: Session, scan_id: int) -> SystemScan:
    scan = session.get(SystemScan, scan_id)
    if scan is None:
        raise NotFound(f"There is no scan {scan_id}.")
    if scan.state != "open":
        raise Conflict(f"This scan is already {scan.state}.")
    return scan


def mapping_text(view: ScanView, *, by: str | None = None) -> str:
    """The accepted tables as a mapping file, in the shape docs/systems.md describes."""
    tables: dict[str, Any] = {}
    for table in view.accepted:
        spec: dict[str, Any] = {"key": table.key[0] if len(table.key) == 1 else table.key}
        identity = {c.name: c.identity for c in table.columns if c.identity}
        if identity:
            spec["identity"] = identity
        if table.references:
            spec["references"] = dict(table.references)
        spec["columns"] = {c.name: c.category for c in table.columns}
        rule = _rule(table)
        if rule is not None:
            spec["erase"] = rule
        tables[table.name] = spec
    header = (
        f"# Dataset mapping of {view.system_name}, confirmed in the Custos admin from scan {view.id}"
        + (f" by {by}" if by else "")
        + ".\n# Check it with `custos systems check`; a new scan confirmed in the admin replaces this file.\n"
    )
    body: dict[str, Any] = {"system": view.system_id, "tables": tables}
    return header + yaml.safe_dump(body, sort_keys=False, allow_unicode=True, default_flow_style=False)


def _rule(table: TableView) -> dict[str, Any] | str | None:
    if table.erase_choice == "proposed":
        return table.proposed_erase
    if table.erase_choice != "anonymise":
        return table.erase_choice
    clear: dict[str, Any] = {}
    for c in table.columns:
        if c.category == "none" and c.name not in table.references and not c.identity:
            continue
        if c.nullable:
            clear[c.name] = None
        elif c.is_text:
            clear[c.name] = "erased"
    return {"anonymise": clear} if clear else {"anonymise": {}}


def _validated(runtime: Runtime, view: ScanView) -> str:
    """The map's text once it loads against the policy and matches the live schema; else InvalidInput."""
    if not view.accepted:
        raise InvalidInput("the map is empty", [Problem("tables", "accept at least one table")])
    text = mapping_text(view)
    located = parse_located(text, view.mapping_file or "<mapping>", runtime.policy)  # raises with every problem
    system = runtime.policy.system(view.system_id)
    engine = system_engines(runtime).engine(connection_url(runtime, system))
    errors = [f.problem for f in check_mapping(engine, located, runtime.policy) if f.severity == "error"]
    if errors:
        count = f"{len(errors)} problem" + ("s" if len(errors) != 1 else "")
        raise InvalidInput(f"the map does not match the database: {count}", errors)
    return text


def _write(path: Path, text: str) -> None:
    """Replace the file in one step, so a process reading it meanwhile sees the old map or the new, whole."""
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise ConfigurationError(
            f"the mapping file {path} cannot be written ({exc.strerror}); give Custos write access to the policy's "
            "folder, or copy the map shown here into the file yourself"
        ) from None
