"""The names of audited actions: a registry of the known ones, and the rule every new name must follow.

Names are dotted, lower-case `area.verb` (`person.read`, `auth.login_failed`) so that an auditor can filter
by area and a reviewer can spot a misspelt name; new areas add names without touching this module.
"""

from __future__ import annotations

import re
from enum import StrEnum

ACTION_PATTERN = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+")
MAX_ACTION_LENGTH = 100


class Action(StrEnum):
    """Actions Custos itself records. `record` accepts any name matching `ACTION_PATTERN` as well."""

    AUTH_LOGIN = "auth.login"
    AUTH_LOGIN_FAILED = "auth.login_failed"
    AUTH_LOGOUT = "auth.logout"
    AUTH_MFA_FAILED = "auth.mfa_failed"
    PERSON_READ = "person.read"
    PERSON_CREATE = "person.create"
    PERSON_UPDATE = "person.update"
    PERSON_EXPORT = "person.export"
    PERSON_ERASE = "person.erase"
    STAFF_CREATE = "staff.create"
    STAFF_UPDATE = "staff.update"
    STAFF_DISABLE = "staff.disable"
    GRANT_CREATE = "grant.create"
    GRANT_REVOKE = "grant.revoke"
    # Four eyes (Art. 32(4)): a grant that waits for a second member, and that member's decision.
    GRANT_PROPOSE = "grant.propose"
    GRANT_APPROVE = "grant.approve"
    GRANT_REJECT = "grant.reject"
    TOKEN_CREATE = "token.create"
    TOKEN_REVOKE = "token.revoke"
    AUDIT_VERIFY = "audit.verify"
    AUDIT_EXPORT = "audit.export"


def is_valid_action(name: str) -> bool:
    return len(name) <= MAX_ACTION_LENGTH and ACTION_PATTERN.fullmatch(name) is not None
