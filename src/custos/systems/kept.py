"""An erase instruction's keep list: which data categories a system must leave, under which law, until when.

A plain value, decided by `custos.retention.keep.kept_on` (GDPR Art. 17(3)) and followed by everything that
erases — connected systems' SQL and HTTP erasure, manual tasks, the sweep, the request's letter — so it lives
below all of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

LEGAL_OBLIGATION = "legal_obligation"  # Art. 17(3)(b)
LEGAL_CLAIMS = "legal_claims"  # Art. 17(3)(e)
GROUNDS = (LEGAL_OBLIGATION, LEGAL_CLAIMS)
LEGAL_HOLD = "legal hold"


@dataclass(frozen=True, slots=True)
class Kept:
    """One reason one category is kept: the law (or the reviewer's reason), until when, and where."""

    category: str
    law: str
    until: date | None  # the first day it may be erased; None: no end yet (an open relationship, a missing fact)
    ground: str = LEGAL_OBLIGATION
    activity: str | None = None  # the activity whose obligation keeps it; None for a reviewer's decision
    systems: tuple[str, ...] | None = None  # the systems it is kept in; None: wherever it is
    decided_by: str | None = None
    relationship: int | None = field(default=None, compare=False)  # for the tombstone's entries; not stored

    def applies_to(self, system: str) -> bool:
        return self.systems is None or system in self.systems

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "law": self.law,
            "until": self.until.isoformat() if self.until else None,
            "ground": self.ground,
            "activity": self.activity,
            "systems": list(self.systems) if self.systems is not None else None,
            "decided_by": self.decided_by,
        }

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Kept:
        until = data.get("until")
        systems = data.get("systems")
        return Kept(
            category=str(data["category"]),
            law=str(data.get("law") or ""),
            until=date.fromisoformat(until) if until else None,
            ground=str(data.get("ground") or LEGAL_OBLIGATION),
            activity=data.get("activity"),
            systems=tuple(systems) if systems is not None else None,
            decided_by=data.get("decided_by"),
        )


@dataclass(frozen=True)
class KeepPlan:
    """Everything kept for one person on one day; empty means nothing is kept."""

    entries: tuple[Kept, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.entries)

    def in_system(self, system: str) -> KeepPlan:
        """What is kept in this system."""
        return KeepPlan(tuple(k for k in self.entries if k.applies_to(system)))

    def categories(self, system: str | None = None) -> frozenset[str]:
        """The categories kept (in `system`, or anywhere)."""
        return frozenset(k.category for k in self.entries if system is None or k.applies_to(system))

    def erase_list(self, categories: Iterable[str], system: str) -> list[str]:
        """Of the categories a system holds, those it may erase: never one kept there."""
        kept = self.categories(system)
        return [c for c in dict.fromkeys(categories) if c not in kept]

    def summary(self, system: str | None = None) -> list[dict[str, Any]]:
        """One line per kept category (in `system`, or anywhere): the laws and claims that keep it, the grounds,
        and the latest day it stays (None when any reason has no end yet); what a letter and a task say."""
        by_category: dict[str, list[Kept]] = {}
        for k in self.entries:
            if system is None or k.applies_to(system):
                by_category.setdefault(k.category, []).append(k)
        lines = []
        for category, reasons in by_category.items():
            dates = [k.until for k in reasons]
            until = None if any(d is None for d in dates) else max(d for d in dates if d is not None)
            laws = _distinct([k.law for k in reasons if k.ground == LEGAL_OBLIGATION and k.law != LEGAL_HOLD])
            claims = _distinct([k.law for k in reasons if k.ground == LEGAL_CLAIMS and k.law != LEGAL_HOLD])
            line: dict[str, Any] = {
                "category": category,
                "laws": laws,
                "claims": claims,
                "grounds": sorted({k.ground for k in reasons}),
                "until": until.isoformat() if until else None,
            }
            if any(k.law == LEGAL_HOLD for k in reasons):
                line["hold"] = True
            lines.append(line)
        return lines

    def to_json(self) -> list[dict[str, Any]]:
        return [k.as_dict() for k in self.entries]

    @staticmethod
    def from_json(data: Sequence[Mapping[str, Any]] | None) -> KeepPlan:
        return KeepPlan(tuple(Kept.from_dict(item) for item in data or ()))

    def with_decisions(self, decisions: Iterable[Kept]) -> KeepPlan:
        """The plan with a reviewer's decisions to keep added (a decision never removes what a law keeps)."""
        return KeepPlan(self.entries + tuple(decisions))


def _distinct(laws: list[str]) -> list[str]:
    """Each law once; a name that a fuller citation of the same law starts with is left out (the activity's
    "Bokföringslagen (1999:1078)" beside the category's "Bokföringslagen (1999:1078) 7 kap. 2 §")."""
    unique = list(dict.fromkeys(law for law in laws if law))
    return [law for law in unique if not any(other != law and other.startswith(law) for other in unique)]
