"""A REST endpoint with templated find, export and delete calls (`custos.systems.http` makes them).

Its delete call removes every record of the person, so an erasure that must keep a category (a legal
obligation, a hold) goes to the owner as a task instead, and so does a correction (no mapping says where a
value lives).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from custos.policy.findings import Finding
from custos.policy.models import Policy, System
from custos.systems import http
from custos.systems.connectors.base import Answer, Description, Person, corrections
from custos.systems.export import TableExport
from custos.systems.held import categories_for
from custos.systems.keys import SubjectKeys
from custos.systems.rectify import Rectification

if TYPE_CHECKING:
    from custos.runtime import Runtime
    from custos.systems.kept import KeepPlan


class HttpConnector:
    kind = "http"
    owner_work: str | None = "corrections by hand"
    scannable = False

    def check(self, policy: Policy, base_dir: Path, system: System) -> list[Finding]:
        return []  # the policy model checks its calls; nothing else is known before one is made

    def describe(self, runtime: Runtime, system: System, *, detail: bool = False) -> Description:
        return Description()

    def find(self, runtime: Runtime, system: System, keys: SubjectKeys) -> dict[str, int] | None:
        return {system.id: len(http.export_records(system, keys, runtime.system_env))}

    def export(self, runtime: Runtime, system: System, person: Person) -> Answer:
        records = http.export_records(system, person.keys, runtime.system_env)
        categories = {"*": ",".join(system.categories) or "none"}  # a record's fields are the endpoint's own
        tables = [TableExport(table=system.id, categories=categories, rows=records)] if records else []
        return Answer("done", counts={t.table: {"rows": len(t.rows)} for t in tables}, tables=tables)

    def erase(self, runtime: Runtime, system: System, person: Person, keep: KeepPlan) -> Answer:
        if keep.categories() & set(categories_for(runtime.policy, system)):
            return person.ask_owner(keep=keep)  # only the owner can leave the kept ones
        deleted = http.delete_records(system, person.keys, runtime.system_env)
        return Answer("done", counts={system.id: {"deleted": deleted, "anonymised": 0, "kept": 0}})

    def rectify(self, runtime: Runtime, system: System, person: Person, changes: Rectification) -> Answer:
        return person.ask_owner(correct=corrections(changes))
