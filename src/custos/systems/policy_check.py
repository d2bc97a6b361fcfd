"""The connected systems' part of `custos policy check`: what in a policy's `systems` keeps them from working.

The policy is a lower layer and checks only itself; the edge that checks a policy file passes these in
(`check_policy(path, clock, checks=[system_findings])`), so the policy package never reads a mapping or asks
who owns a system.
"""

from __future__ import annotations

from pathlib import Path

from custos.policy.findings import Finding
from custos.policy.models import Policy
from custos.systems.connectors import connector_for
from custos.systems.ownership import needs_owner


def system_findings(policy: Policy, base_dir: Path) -> list[Finding]:
    """Every error the systems area finds in the policy: its connectors' and its owners'."""
    return [*mapping_findings(policy, base_dir), *owner_findings(policy)]


def mapping_findings(policy: Policy, base_dir: Path) -> list[Finding]:
    """What each system's connector finds in its entry without reaching the system: a sql system's dataset
    mapping must exist and load (a wrong one would erase the wrong rows)."""
    return [
        Finding(("systems", index, *finding.loc), finding.message, finding.hint)
        for index, system in enumerate(policy.systems)
        for finding in connector_for(system).check(policy, base_dir, system)
    ]


def owner_findings(policy: Policy) -> list[Finding]:
    """A system whose work is done by hand needs someone to do it (a manual system always, an http system for
    corrections: it has no mapping to say where a value lives). Without an owner its tasks wait with nobody
    told, while a request's month (Art. 12(3)) and an erasure's due date (Art. 5(1)(e), 17(1)) run."""
    return [
        Finding(
            ("systems", index),
            f"the {system.kind} system {system.id!r} has no owner, so nobody would do its "
            + (connector_for(system).owner_work or "tasks"),
            "add `owner:` with the email of a staff member who will hold the system_owner role for it "
            "(Art. 5(2), 24); the privacy contact is told of tasks that wait unassigned",
        )
        for index, system in enumerate(policy.systems)
        if needs_owner(system) and system.owner is None
    ]
