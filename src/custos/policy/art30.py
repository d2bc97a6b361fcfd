"""What the records of processing (Art. 30) need from the policy and the model leaves optional.

These are errors of `custos policy check`, not of loading: a policy without them still runs the register,
but the records handed to the authority would have gaps, and a gap is never rendered as a blank. "None" must be
said explicitly (`recipients: []`), so that a forgotten section is told apart from an empty one.

The checks read the data as written (a dump without defaults), the same shape the integrity checks read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from custos.policy.findings import Finding


def records_findings(written: Mapping[str, Any]) -> list[Finding]:
    findings: list[Finding] = []
    protection = written.get("data_protection")
    if isinstance(protection, Mapping) and not protection.get("contact"):
        findings.append(
            Finding(
                ("data_protection", "contact"),
                "the records need the contact details of the data protection person (Art. 30(1)(a))",
                "add `contact:` with an email address, e.g. the privacy contact",
            )
        )
    if not written.get("security_measures"):
        findings.append(
            Finding(
                ("security_measures",),
                "the records need a general description of the security measures (Art. 30(1)(g), 30(2)(d))",
                "add `security_measures:` with at least one measure (Art. 32(1))",
            )
        )
    for index, activity in _entries(written, "activities"):
        here = ("activities", index)
        if "recipients" not in activity:
            findings.append(
                Finding(
                    (*here, "recipients"),
                    f"activity {activity.get('id')!r} does not say who receives the data (Art. 30(1)(d))",
                    "list the recipients, or write `recipients: []` if the data goes to no one outside",
                )
            )
        if "transfers" not in activity:
            findings.append(
                Finding(
                    (*here, "transfers"),
                    f"activity {activity.get('id')!r} does not say whether data leaves the EEA (Art. 30(1)(e))",
                    "list each transfer with its country and safeguard, or write `transfers: []` for none",
                )
            )
    for index, service in _entries(written, "processor"):
        here = ("processor", index)
        if not service.get("processing"):
            findings.append(
                Finding(
                    (*here, "processing"),
                    f"processor service {service.get('id')!r} does not list the categories of processing carried "
                    "out for customers (Art. 30(2)(b))",
                    "add `processing:`, e.g. [hosting, storage, backup]",
                )
            )
        if "transfers" not in service:
            findings.append(
                Finding(
                    (*here, "transfers"),
                    f"processor service {service.get('id')!r} does not say whether data leaves the EEA (Art. 30(2)(c))",
                    "list each transfer with its country and safeguard, or write `transfers: []` for none",
                )
            )
    return findings


def _entries(data: Mapping[str, Any], section: str) -> list[tuple[int, Mapping[str, Any]]]:
    items = data.get(section)
    if not isinstance(items, list):
        return []
    return [(index, item) for index, item in enumerate(items) if isinstance(item, Mapping)]
