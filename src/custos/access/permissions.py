"""Permission names, the built-in roles, and how a grant's scope covers what a route needs.

Least privilege (Art. 25(2), 32(4)): staff get roles, roles carry permissions, and each grant of a role is
limited to a scope. Separation of duties: whoever manages accounts does not read personal data, so the
`account_admin` role holds `staff.manage` and nothing that shows a data subject.
"""

from __future__ import annotations

from dataclasses import dataclass

from custos.policy import Policy

# Everything Custos keeps itself (the register, staff, the audit log, the Art. 30 records, its keys) lives in
# this scope. Grants name it, or "*"; an environment such as "production" covers the organisation's systems
# in that environment, not Custos's own data.
CUSTOS_SCOPE = "custos"
ANY_SCOPE = "*"

PERMISSIONS: dict[str, str] = {
    "register.read": "Read people and organisations in the register.",
    "register.write": "Add and correct people, relationships and organisations.",
    "register.import": "Import people from CSV files.",
    "register.export": "Export the People list, as filtered, as a CSV file (names, categories, due dates).",
    "requests.intake": "Take in a data subject request (sees only that request).",
    "requests.manage": "Handle data subject requests end to end.",
    "requests.assess": "Decide what an erasure keeps under GDPR Art. 17(3) (a legal obligation, legal claims).",
    "incidents.read": "Read the register of personal data breaches and their notifications (Art. 33(5)).",
    "incidents.manage": "Log and handle personal data breaches.",
    "audit.read": "Read the audit log.",
    "records.read": "Read the Art. 30 records and reports.",
    "mailings.send": "Save selections, send mailings to them and export them as CSV (names and addresses).",
    "staff.manage": "Manage staff accounts, roles, grants and other people's tokens; run the access review.",
    "systems.tasks": "Confirm tasks (such as a manual deletion) in the systems of the grant's scope.",
    "systems.read": "See the connected systems, their mappings and each run's outcome (people by ref only).",
    "systems.manage": "Set the owner of a connected system (who gets its manual tasks); retry failed erasures.",
    "consent.read": "Read consent records.",
    "policy.read": "Read the policy and the notice versions.",
    "keys.rotate": "Rotate the encryption keys of the register.",
    "tokens.create": "Create API tokens for integrations, limited to one's own permissions.",
    "retention.read": "See the retention plan (who is due for erasure, when and why), holds and past sweeps.",
    "retention.run": "Run retention sweeps and place or release legal holds.",
    "doctor.read": "See which of the policy's promises live data breaks (`custos doctor`; people by ref only).",
}

# Permissions that read, change, export or erase a data subject's personal data. A role holding any of them is
# a personal-data role: a grant of it takes effect only when a second person approves it (four eyes,
# `custos.access.four_eyes`), and the access review flags anyone who holds one together with `staff.manage`.
PERSONAL_DATA: frozenset[str] = frozenset(
    {
        "register.read",
        "register.write",
        "register.import",
        "register.export",
        "requests.intake",
        "requests.manage",
        "requests.assess",
        "incidents.manage",
        "systems.tasks",
        # Each run's outcome names the person by ref: pseudonymous, still personal data.
        "systems.read",
        "consent.read",
        # The plan names people by ref with their relationships' dates: pseudonymous, still personal data.
        "retention.read",
        "retention.run",
        "mailings.send",
        # Findings name people by ref, with the dates that make them late: pseudonymous, still personal data.
        "doctor.read",
    }
)


def reaches_personal_data(permissions: frozenset[str] | set[str]) -> bool:
    """Whether a role made of `permissions` reads, changes, exports or erases personal data."""
    return not PERSONAL_DATA.isdisjoint(permissions)


@dataclass(frozen=True)
class BuiltinRole:
    name: str
    description: str
    permissions: frozenset[str]


BUILTIN_ROLES: dict[str, BuiltinRole] = {
    role.name: role
    for role in (
        BuiltinRole("dpo", "Data protection officer: everything.", frozenset(PERMISSIONS)),
        BuiltinRole(
            "privacy_officer",
            "Runs the register, requests and incidents.",
            frozenset(
                {
                    "register.read",
                    "register.write",
                    "register.import",
                    "requests.intake",
                    "requests.manage",
                    "requests.assess",
                    "incidents.read",
                    "incidents.manage",
                    "records.read",
                    "consent.read",
                    "policy.read",
                    "retention.read",
                    "retention.run",
                    "mailings.send",
                    "systems.read",
                    "systems.manage",
                    "doctor.read",
                }
            ),
        ),
        BuiltinRole(
            "support_agent",
            "Takes in requests; sees no personal data beyond the request.",
            frozenset({"requests.intake", "policy.read"}),
        ),
        BuiltinRole(
            "system_owner",
            "Confirms tasks in the systems of the grant's scope only.",
            frozenset({"systems.tasks", "policy.read"}),
        ),
        BuiltinRole(
            "auditor",
            "Reads the audit log and the records; no personal data.",
            frozenset({"audit.read", "records.read", "policy.read", "incidents.read"}),
        ),
        # Separation of duties (Art. 32(1)(b)): the account administrator cannot read personal data.
        BuiltinRole(
            "account_admin",
            "Manages staff accounts, grants and system owners; no personal data.",
            frozenset({"staff.manage", "systems.manage"}),
        ),
    )
}


def valid_scopes(policy: Policy) -> set[str]:
    """The scopes a grant may name: all, Custos itself, or a system or environment the policy declares."""
    return {ANY_SCOPE, CUSTOS_SCOPE} | {s.id for s in policy.systems} | {s.environment for s in policy.systems}


def scope_covers(granted: str, needed: str, policy: Policy) -> bool:
    """Whether a grant limited to `granted` allows an action in scope `needed` (a system id or `custos`)."""
    if granted in (ANY_SCOPE, needed):
        return True
    # An environment covers each system the policy places in it.
    return any(s.id == needed and s.environment == granted for s in policy.systems)
