"""A database Custos connects to through a SQLAlchemy URL, with a dataset mapping saying where a person is.

The work is the engine's (`custos.systems.find`, `export`, `erase`, `rectify`); this module reads the system's
mapping (a file beside the policy) and URL (from the environment variable its entry names; never written to the
database, shown masked: `postgresql://crm:***@db/crm`) and turns the engine's outcomes into answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from custos.clock import today
from custos.errors import ConfigurationError, CustosError, SystemFailed
from custos.policy.findings import Finding
from custos.policy.models import Policy, System
from custos.systems.connect import READ_ONLY, mask_url, scrub, system_engines
from custos.systems.connectors.base import Answer, Description, Person
from custos.systems.erase import erase_subject
from custos.systems.export import export_subject
from custos.systems.find import walk
from custos.systems.keys import SubjectKeys
from custos.systems.mapping import DatasetMapping, ErasureRule, load_mapping
from custos.systems.rectify import Rectification, rectify_subject
from custos.systems.schemas import TablePublic

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from custos.runtime import Runtime
    from custos.systems.kept import KeepPlan


class SqlConnector:
    kind = "sql"
    owner_work: str | None = None
    scannable = True

    def check(self, policy: Policy, base_dir: Path, system: System) -> list[Finding]:
        assert system.mapping is not None  # the policy model requires one for a sql system
        problem = mapping_problem(base_dir / system.mapping, policy)
        return [Finding(("mapping",), problem[0], problem[1])] if problem is not None else []

    def describe(self, runtime: Runtime, system: System, *, detail: bool = False) -> Description:
        url = runtime.system_env.get(system.connection_setting, "")
        status, error = mapping_status(runtime, system)
        tables = []
        if detail and status == "ok":
            try:
                tables = mapping_summary(runtime, system)
            except CustosError:
                tables = []  # the mapping's status and error say why
        return Description(
            connection=system.connection_setting,
            connection_set=bool(url),
            masked_url=mask_url(url) if url else None,
            mapping_status=status,
            mapping_error=error,
            tables=tables,
        )

    def find(self, runtime: Runtime, system: System, keys: SubjectKeys) -> dict[str, int] | None:
        with _reaching(runtime, system):
            mapping, engine = _open(runtime, system)
            with engine.connect() as connection, connection.execution_options(**{READ_ONLY: True}).begin():
                return {found.table: len(found.rows) for found in walk(connection, mapping, keys, {})}

    def export(self, runtime: Runtime, system: System, person: Person) -> Answer:
        with _reaching(runtime, system):
            mapping, engine = _open(runtime, system)
            tables = export_subject(engine, mapping, person.keys)
        return Answer("done", counts={t.table: {"rows": len(t.rows)} for t in tables}, tables=tables)

    def erase(self, runtime: Runtime, system: System, person: Person, keep: KeepPlan) -> Answer:
        spare = {
            line["category"]: (_why_kept(line), date.fromisoformat(line["until"]) if line["until"] else None)
            for line in keep.summary()
        }
        with _reaching(runtime, system):
            mapping, engine = _open(runtime, system)
            outcome = erase_subject(engine, mapping, person.keys, today=today(runtime.clock), keep=spare)
        counts = {
            table: {"deleted": t.deleted, "anonymised": t.anonymised, "kept": t.kept}
            for table, t in outcome.tables.items()
        }
        kept = [
            {"table": table, "until": t.kept_until.isoformat() if t.kept_until else None, "reason": t.reason}
            for table, t in outcome.tables.items()
            if t.kept
        ]
        return Answer("done", counts=counts, kept=kept)

    def rectify(self, runtime: Runtime, system: System, person: Person, changes: Rectification) -> Answer:
        with _reaching(runtime, system):
            mapping, engine = _open(runtime, system)
            counts = rectify_subject(engine, mapping, person.keys, changes)
        return Answer("done", counts={table: {"corrected": n} for table, n in counts.items()})


def _open(runtime: Runtime, system: System) -> tuple[DatasetMapping, Engine]:
    mapping = load_system_mapping(runtime, system)
    return mapping, system_engines(runtime).engine(connection_url(runtime, system))


@contextmanager
def _reaching(runtime: Runtime, system: System) -> Iterator[None]:
    """Any failure as `SystemFailed`, with any password the driver echoed removed (it becomes the run's error)."""
    try:
        yield
    except Exception as error:
        text = error.message if isinstance(error, CustosError) else f"{type(error).__name__}: {error}"
        url = runtime.system_env.get(system.connection_setting, "")
        raise SystemFailed(scrub(text, url) if url else text, system=system.id) from error


def _why_kept(line: dict[str, Any]) -> str:
    """The reason a mapped table's rows stay, as the erasure's outcome reports it."""
    reasons = [*line["laws"], *(f"legal claims: {claim}" for claim in line["claims"])]
    if line.get("hold"):
        reasons.append("legal hold")
    return f"{line['category']} kept ({'; '.join(reasons) or 'GDPR Art. 17(3)'})"


def mapping_problem(path: Path, policy: Policy | None = None) -> tuple[str, str | None] | None:
    """Why the mapping file at `path` cannot be used (message, hint), or None when it loads."""
    if not path.is_file():
        return f"the dataset mapping {path} does not exist", "write it with `custos systems scan URL > FILE`"
    try:
        load_mapping(path, policy)
    except CustosError as error:
        first = error.problems[0] if error.problems else None
        return f"the dataset mapping {path} is invalid: {first or error.message}", "run `custos systems check`"
    return None


def mapping_path(policy_path: Path, system: System) -> Path | None:
    return policy_path.parent / system.mapping if system.mapping is not None else None


def load_system_mapping(runtime: Runtime, system: System) -> DatasetMapping:
    path = mapping_path(runtime.settings.policy_path, system)
    if path is None:
        raise ConfigurationError(f"system {system.id!r} has no dataset mapping in the policy")
    return runtime.held("system_mappings", MappingCache).load(path, runtime.policy)


class MappingCache:
    """Dataset mappings parsed once per runtime and file version: parsing and checking the YAML was an eighth of
    an access request's time. A file rewritten (a confirmed scan) has a new size or mtime, and is parsed again."""

    def __init__(self) -> None:
        self._loaded: dict[Path, tuple[tuple[int, int], Policy, DatasetMapping]] = {}

    def load(self, path: Path, policy: Policy) -> DatasetMapping:
        try:
            stat = path.stat()
        except OSError:
            return load_mapping(path, policy)  # the loader says what is wrong with the path
        version = (stat.st_mtime_ns, stat.st_size)
        cached = self._loaded.get(path)
        # The same policy object, not an equal id: a policy reloaded (a new version published) checks again.
        if cached is not None and cached[0] == version and cached[1] is policy:
            return cached[2]
        mapping = load_mapping(path, policy)
        self._loaded[path] = (version, policy, mapping)
        return mapping

    def close(self) -> None:
        self._loaded = {}


def connection_url(runtime: Runtime, system: System) -> str:
    """The sql system's URL from its environment variable; the error names the variable, never a value."""
    name = system.connection_setting
    url = runtime.system_env.get(name, "").strip()
    if not url:
        raise ConfigurationError(f"system {system.id!r}: set {name} to its database URL (it is not set)")
    return url


def mapping_status(runtime: Runtime, system: System) -> tuple[str, str | None]:
    """Whether the system's dataset mapping loads: ok | missing | invalid | none (it has none), and why not."""
    path = mapping_path(runtime.settings.policy_path, system)
    if path is None:
        return "none", None
    problem = mapping_problem(path, runtime.policy)
    if problem is None:
        return "ok", None
    return ("missing" if not path.is_file() else "invalid"), problem[0]


def mapping_summary(runtime: Runtime, system: System) -> list[TablePublic]:
    """Per table of a sql system's mapping: its data categories, how a person is found, and its erasure rule."""
    mapping = load_system_mapping(runtime, system)
    return [
        TablePublic(
            table=name,
            categories=sorted({c for c in spec.columns.values() if c != "none"}),
            identity=[f"{column} ({kind})" for column, kind in spec.identity.items()],
            references=[f"{column} → {target}" for column, target in spec.references.items()],
            rule=_rule_text(spec.erase),
        )
        for name, spec in mapping.tables.items()
    ]


def _rule_text(rule: ErasureRule | None) -> str:
    if rule is None:
        return "none"
    if rule.kind == "anonymise":
        return "anonymise " + ", ".join(rule.anonymise or {})
    if rule.kind == "keep_until":
        then = _rule_text(rule.then)
        law = f" ({rule.law})" if rule.law else ""
        return f"keep {rule.keep} from {rule.from_}{law}, then {then}"
    return rule.kind
