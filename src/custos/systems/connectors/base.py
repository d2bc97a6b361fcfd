"""What every connector does, and what it answers; the run machinery (`custos.systems.runs`) records it.

A connector is how Custos reaches one kind of system. It acts and answers; it never records a run, never
audits and never decides whether an operation was already done for a cause — `custos.systems.runs` does all of
that the same way for every kind, so a new kind gets retries, the once-per-cause guarantee and the audit trail
without writing any of it. A connector raises when the system fails; the message becomes the run's error, so
it must not carry a credential (`scrub` what a driver echoes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from custos.policy.findings import Finding
from custos.policy.models import Policy, System
from custos.systems.export import TableExport
from custos.systems.keys import SubjectKeys
from custos.systems.rectify import Rectification
from custos.systems.schemas import TablePublic

if TYPE_CHECKING:
    from custos.runtime import Runtime
    from custos.systems.kept import KeepPlan


class AskOwner(Protocol):
    def __call__(self, *, keep: KeepPlan | None = None, correct: dict[str, str] | None = None) -> Answer:
        """The operation as a task for the system's owner (opened once per person, cause and operation):
        `waiting` until they confirm it, `done` once they have."""
        ...


@dataclass(frozen=True)
class Person:
    """Whom an operation is about: the identities to look for, the register's ref, and why (`request:DSR-…`);
    `ask_owner` hands the operation to the system's owner, for what a connector cannot do itself."""

    keys: SubjectKeys
    subject_ref: str
    cause: str
    ask_owner: AskOwner = field(repr=False)


@dataclass(frozen=True)
class Answer:
    """What the system did: `done`, or `waiting` on a task for its owner (`task_id`).

    `counts` is per table: `{rows}` for an export, `{deleted, anonymised, kept}` for an erasure, `{corrected}`
    for a rectification; `kept` lists what a legal obligation keeps (`{table, until, reason}`); `tables` is an
    export's rows.
    """

    status: Literal["done", "waiting"]
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    kept: list[dict[str, Any]] = field(default_factory=list)
    tables: list[TableExport] = field(default_factory=list)
    task_id: int | None = None


@dataclass(frozen=True)
class Description:
    """How the inventory shows a system's connection; `None`/`"none"` where the kind has no such thing."""

    connection: str | None = None  # the environment variable's name, never its value
    connection_set: bool = False
    masked_url: str | None = None
    mapping_status: str = "none"  # ok | missing | invalid | none (the kind has no mapping)
    mapping_error: str | None = None
    tables: list[TablePublic] = field(default_factory=list)  # only when asked for the detail


class Connector(Protocol):
    """One kind of system. Add one by writing a module with a class like this and one `REGISTRY` line in
    `custos.systems.connectors` (docs/systems.md, "Adding a connector")."""

    kind: str
    # What its owner does by hand, in words ("corrections by hand"); None when nobody does anything by hand.
    # A kind with such work needs an owner (`custos policy check`, the ownership checks).
    owner_work: str | None
    # Whether `custos systems scan` and the scan pages can reflect its schema (a database Custos connects to).
    scannable: bool

    def check(self, policy: Policy, base_dir: Path, system: System) -> list[Finding]:
        """What in the system's policy entry keeps it from working, found without reaching it (`policy
        check`); each finding's place is relative to the entry (`("mapping",)`)."""
        ...

    def describe(self, runtime: Runtime, system: System, *, detail: bool = False) -> Description:
        """Its connection for the inventory, and with `detail` what it holds per table."""
        ...

    def find(self, runtime: Runtime, system: System, keys: SubjectKeys) -> dict[str, int] | None:
        """How many records of the person it holds, per table; None when only a person can tell."""
        ...

    def export(self, runtime: Runtime, system: System, person: Person) -> Answer:
        """Every record of the person (Art. 15(3)), or the task its owner gets."""
        ...

    def erase(self, runtime: Runtime, system: System, person: Person, keep: KeepPlan) -> Answer:
        """Erase the person (Art. 17), keeping what `keep` (this system's part) says the law keeps."""
        ...

    def rectify(self, runtime: Runtime, system: System, person: Person, changes: Rectification) -> Answer:
        """Correct the person where their values live (Art. 16), or the task saying what to correct."""
        ...


def corrections(changes: Rectification) -> dict[str, str]:
    """What a rectification task asks the owner to write: field → the new value."""
    return {
        **({"email": changes.email[1]} if changes.email else {}),
        **({"phone": changes.phone[1]} if changes.phone else {}),
        **changes.fields,
    }
