"""Exporting or erasing a person in a database named by its URL and a mapping file, outside any request —
what `custos systems export|erase` do for an engineer; audited with counts only.

Runtime tier: the database is reached outside a transaction of Custos's, then the event is written in a unit
of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from custos.actor import Actor
from custos.audit.actions import Action
from custos.systems.connect import SystemEngines
from custos.systems.erase import ErasureOutcome, erase_subject
from custos.systems.export import TableExport, export_subject
from custos.systems.keys import SubjectKeys
from custos.systems.mapping import DatasetMapping

if TYPE_CHECKING:
    from custos.runtime import Runtime


def export_by_mapping(
    runtime: Runtime, actor: Actor, mapping: DatasetMapping, url: str, keys: SubjectKeys
) -> list[TableExport]:
    """Every row of the person in the database, per table, with each column's data category."""
    with SystemEngines() as engines:
        tables = export_subject(engines.engine(url), mapping, keys)
    with runtime.work(actor) as work:
        work.audit(
            Action.SYSTEMS_EXPORT,
            target=f"system:{mapping.system}",
            details={"rows": [f"{t.table}: {len(t.rows)}" for t in tables]},
        )
    return tables


def erase_by_mapping(
    runtime: Runtime, actor: Actor, mapping: DatasetMapping, url: str, keys: SubjectKeys
) -> ErasureOutcome:
    """Erase the person in the database by the mapping's rules, in one transaction there."""
    with SystemEngines() as engines:
        outcome = erase_subject(
            engines.engine(url), mapping, keys, today=runtime.policy.jurisdiction.today(runtime.clock)
        )
    counts = [
        f"{name}: {result.deleted} deleted, {result.anonymised} anonymised, {result.kept} kept"
        + (f" until {result.kept_until}" if result.kept_until else "")
        for name, result in outcome.tables.items()
    ]
    with runtime.work(actor) as work:
        work.audit(
            Action.SYSTEMS_ERASE,
            target=f"system:{mapping.system}",
            details={"tables": counts, "changed": outcome.changed},
        )
    return outcome
