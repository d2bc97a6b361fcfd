"""A system a person searches and changes by hand: every operation is a task for its owner
(`custos.systems.tasks`), `waiting` until they confirm what they did."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from custos.policy.findings import Finding
from custos.policy.models import Policy, System
from custos.systems.connectors.base import Answer, Description, Person, corrections
from custos.systems.keys import SubjectKeys
from custos.systems.rectify import Rectification

if TYPE_CHECKING:
    from custos.runtime import Runtime
    from custos.systems.kept import KeepPlan


class ManualConnector:
    kind = "manual"
    owner_work: str | None = "tasks (exports and erasures by hand)"
    scannable = False

    def check(self, policy: Policy, base_dir: Path, system: System) -> list[Finding]:
        return []

    def describe(self, runtime: Runtime, system: System, *, detail: bool = False) -> Description:
        return Description()

    def find(self, runtime: Runtime, system: System, keys: SubjectKeys) -> dict[str, int] | None:
        return None  # only its owner can look

    def export(self, runtime: Runtime, system: System, person: Person) -> Answer:
        return person.ask_owner()

    def erase(self, runtime: Runtime, system: System, person: Person, keep: KeepPlan) -> Answer:
        return person.ask_owner(keep=keep)

    def rectify(self, runtime: Runtime, system: System, person: Person, changes: Rectification) -> Answer:
        return person.ask_owner(correct=corrections(changes))
