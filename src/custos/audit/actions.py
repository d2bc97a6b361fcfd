"""The names of audited actions: one typed registry, each with what it means to an auditor.

Names are dotted, lower-case `area.verb` (`person.read`, `auth.login_failed`) so that an auditor can filter
by area and a reviewer can spot a misspelt name. `record` refuses a name that is not here: a new action is
one member and one sentence in this module, and `docs/audit-actions.md` is generated from it
(`custos audit actions --markdown`; a test checks the two agree).
"""

from __future__ import annotations

import re
from enum import StrEnum

ACTION_PATTERN = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+")
MAX_ACTION_LENGTH = 100


class Action(StrEnum):
    ACCESS_DENIED = "access.denied"
    AUDIT_EXPORT = "audit.export"
    AUDIT_HEADS = "audit.heads"
    AUDIT_PROOF = "audit.proof"
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    AUTH_CONFIRM = "auth.confirm"
    AUTH_LOCKOUT = "auth.lockout"
    AUTH_LOGIN = "auth.login"
    AUTH_LOGIN_FAILED = "auth.login_failed"
    AUTH_LOGOUT = "auth.logout"
    AUTH_LOGOUT_EVERYWHERE = "auth.logout_everywhere"
    AUTH_MFA_FAILED = "auth.mfa_failed"
    AUTH_RECOVERY_CODE_USED = "auth.recovery_code_used"
    CONSENT_EXPORT = "consent.export"
    CONSENT_MONTH_DROPPED = "consent.month_dropped"
    CONSENT_VIEW = "consent.view"
    DOCTOR_RUN = "doctor.run"
    GRANT_APPROVE = "grant.approve"
    GRANT_CREATE = "grant.create"
    GRANT_PROPOSE = "grant.propose"
    GRANT_REJECT = "grant.reject"
    GRANT_REVOKE = "grant.revoke"
    INCIDENT_CLOSE = "incident.close"
    INCIDENT_CUSTOMER_NOTIFY = "incident.customer_notify"
    INCIDENT_DECIDE = "incident.decide"
    INCIDENT_DOCUMENT = "incident.document"
    INCIDENT_EXPORT = "incident.export"
    INCIDENT_LETTER = "incident.letter"
    INCIDENT_LETTERS = "incident.letters"
    INCIDENT_NOTE = "incident.note"
    INCIDENT_NOTIFY = "incident.notify"
    INCIDENT_OPEN = "incident.open"
    INCIDENT_REMINDER = "incident.reminder"
    INCIDENT_REMINDER_NOT_MAILED = "incident.reminder_not_mailed"
    INCIDENT_REOPEN = "incident.reopen"
    INCIDENT_SUBJECT_EXCEPTION = "incident.subject_exception"
    INCIDENT_UPDATE = "incident.update"
    KEYS_ROTATE = "keys.rotate"
    MAILING_CREATE = "mailing.create"
    MAILING_SENT = "mailing.sent"
    MAILING_START = "mailing.start"
    ORGANISATION_CREATE = "organisation.create"
    ORGANISATION_EXPORT = "organisation.export"
    ORGANISATION_ROLE_ADD = "organisation.role_add"
    ORGANISATION_ROLE_END = "organisation.role_end"
    ORGANISATION_UPDATE = "organisation.update"
    PERSON_CREATE = "person.create"
    PERSON_ERASE = "person.erase"
    PERSON_EXPORT = "person.export"
    PERSON_IMPORT = "person.import"
    PERSON_IMPORT_CHECKED = "person.import_checked"
    PERSON_IMPORT_REJECTS = "person.import_rejects"
    PERSON_LIST = "person.list"
    PERSON_READ = "person.read"
    PERSON_UPDATE = "person.update"
    RECORDS_EXPORT = "records.export"
    REGISTER_EXPORT = "register.export"
    REGISTER_RECTIFY = "register.rectify"
    REGISTER_REINDEX = "register.reindex"
    RELATIONSHIP_CREATE = "relationship.create"
    RELATIONSHIP_ERASE = "relationship.erase"
    RELATIONSHIP_SETTLE_DATES = "relationship.settle_dates"
    RELATIONSHIP_UPDATE = "relationship.update"
    REQUEST_APPROVED = "request.approved"
    REQUEST_ASSESSED = "request.assessed"
    REQUEST_ASSESSING = "request.assessing"
    REQUEST_ASSIGNED = "request.assigned"
    REQUEST_COMPLETED = "request.completed"
    REQUEST_CUSTOMER_INFORMED = "request.customer_informed"
    REQUEST_DOWNLOADED = "request.downloaded"
    REQUEST_EXPORT = "request.export"
    REQUEST_EXTENDED = "request.extended"
    REQUEST_IN_PROGRESS = "request.in_progress"
    REQUEST_LETTER_FAILED = "request.letter_failed"
    REQUEST_LETTER_SENT = "request.letter_sent"
    REQUEST_PROCESSOR_REDIRECT = "request.processor_redirect"
    REQUEST_RECEIVED = "request.received"
    REQUEST_RECIPIENTS_NOTIFIED = "request.recipients_notified"
    REQUEST_REFUSED = "request.refused"
    REQUEST_REMINDER = "request.reminder"
    REQUEST_RETRY = "request.retry"
    REQUEST_TASK_FAILED = "request.task_failed"
    REQUEST_TASK_PENDING = "request.task_pending"
    REQUEST_TASK_WAITING = "request.task_waiting"
    REQUEST_VERIFICATION_FAILED = "request.verification_failed"
    REQUEST_VERIFICATION_RESENT = "request.verification_resent"
    REQUEST_VERIFIED = "request.verified"
    REQUEST_VERIFIED_MANUALLY = "request.verified_manually"
    REQUEST_VERIFYING = "request.verifying"
    REQUEST_VIEWED = "request.viewed"
    REQUEST_WITHDRAWN = "request.withdrawn"
    REQUEST_WORK_DONE = "request.work_done"
    RESTRICTION_ADD = "restriction.add"
    RESTRICTION_LIFT = "restriction.lift"
    RETENTION_HOLD_ADD = "retention.hold_add"
    RETENTION_HOLD_RELEASE = "retention.hold_release"
    RETENTION_HOLD_STOPS_ERASURE = "retention.hold_stops_erasure"
    RETENTION_PLAN = "retention.plan"
    RETENTION_SWEEP_DONE = "retention.sweep_done"
    RETENTION_SWEEP_REQUESTED = "retention.sweep_requested"
    RETENTION_SWEEP_START = "retention.sweep_start"
    RETENTION_TOMBSTONE_READ = "retention.tombstone_read"
    RETENTION_TOMBSTONES = "retention.tombstones"
    ROLE_CREATE = "role.create"
    SELECTION_CREATE = "selection.create"
    SELECTION_EXPORT = "selection.export"
    STAFF_CREATE = "staff.create"
    STAFF_DISABLE = "staff.disable"
    STAFF_PASSWORD_CHANGE = "staff.password_change"
    STAFF_RECOVERY_CODES_RENEW = "staff.recovery_codes_renew"
    STAFF_TOTP_ENROL = "staff.totp_enrol"
    STAFF_UNLOCK = "staff.unlock"
    STAFF_UPDATE = "staff.update"
    SUPPRESSION_ADD = "suppression.add"
    SYSTEM_ERASE = "system.erase"
    SYSTEM_EXPORT = "system.export"
    SYSTEM_MAPPING_CONFIRMED = "system.mapping_confirmed"
    SYSTEM_OWNER_SET = "system.owner_set"
    SYSTEM_RECTIFY = "system.rectify"
    SYSTEM_SCAN = "system.scan"
    SYSTEM_SCAN_DISCARDED = "system.scan_discarded"
    SYSTEM_TASK_CONFIRM = "system.task_confirm"
    SYSTEM_TASK_OPEN = "system.task_open"
    SYSTEM_TASK_READ = "system.task_read"
    SYSTEMS_ERASE = "systems.erase"
    SYSTEMS_EXPORT = "systems.export"
    TOKEN_CREATE = "token.create"
    TOKEN_REVOKE = "token.revoke"


# What each action means, in the words an auditor reads in `docs/audit-actions.md`.
MEANING: dict[Action, str] = {
    Action.ACCESS_DENIED: "A caller was refused a permission it lacks (Art. 32(1)(d): repeated refusals are a signal).",
    Action.AUDIT_EXPORT: "A date range of the audit log was exported.",
    Action.AUDIT_HEADS: "The signed heads of the audit log's sealed blocks were exported for an outside witness.",
    Action.AUDIT_PROOF: "The inclusion proof of one audit event in its sealed block was handed out.",
    Action.AUDIT_READ: "The audit log was searched or read in the admin or the API.",
    Action.AUDIT_VERIFY: "The audit chain was verified; the outcome says whether it held.",
    Action.AUTH_CONFIRM: "A member confirmed their password again before a sensitive step.",
    Action.AUTH_LOCKOUT: "An account was locked after too many failed logins.",
    Action.AUTH_LOGIN: "A member logged in.",
    Action.AUTH_LOGIN_FAILED: "A login failed (wrong password, unknown account, locked or disabled).",
    Action.AUTH_LOGOUT: "A member logged out.",
    Action.AUTH_LOGOUT_EVERYWHERE: "A member closed all their sessions.",
    Action.AUTH_MFA_FAILED: "A login failed at the second factor.",
    Action.AUTH_RECOVERY_CODE_USED: "A member used a one-time recovery code instead of the authenticator.",
    Action.CONSENT_EXPORT: "Consent records were exported as proof (Art. 7(1)).",
    Action.CONSENT_MONTH_DROPPED: (
        "A month of consent records past the policy's proof retention, none still in force, was dropped "
        "(Art. 5(1)(e)); details hold the month and the count."
    ),
    Action.CONSENT_VIEW: "A visitor's consent records were viewed.",
    Action.DOCTOR_RUN: "The register-wide promises were checked; details hold how many were checked and failed.",
    Action.GRANT_APPROVE: "A second member approved a proposed grant (four eyes, Art. 32(4)).",
    Action.GRANT_CREATE: "A role was granted to a member in a scope.",
    Action.GRANT_PROPOSE: "A grant was proposed and waits for a second member.",
    Action.GRANT_REJECT: "A proposed grant was turned down or withdrawn.",
    Action.GRANT_REVOKE: "A grant was revoked.",
    Action.INCIDENT_CLOSE: "An incident was closed (it stays on record, Art. 33(5)).",
    Action.INCIDENT_CUSTOMER_NOTIFY: "A customer (the controller) was told of a breach in its data (Art. 33(2)).",
    Action.INCIDENT_DECIDE: "The decision to notify the authority or not was taken, with its reasoning.",
    Action.INCIDENT_DOCUMENT: "The Art. 33 notification document was generated.",
    Action.INCIDENT_EXPORT: "The breach register was exported.",
    Action.INCIDENT_LETTER: "An Art. 34 letter to an affected person was produced or read.",
    Action.INCIDENT_LETTERS: "Art. 34 letters were sent to the affected people.",
    Action.INCIDENT_NOTE: "A note was added to an incident's timeline.",
    Action.INCIDENT_NOTIFY: "A notification to the authority was recorded (initial, phased or final).",
    Action.INCIDENT_OPEN: "An incident was opened; details hold when the organisation became aware.",
    Action.INCIDENT_REMINDER: "A reminder of the 72-hour deadline was sent.",
    Action.INCIDENT_REMINDER_NOT_MAILED: "A deadline reminder could not be mailed.",
    Action.INCIDENT_REOPEN: "A closed incident was opened again.",
    Action.INCIDENT_SUBJECT_EXCEPTION: "An Art. 34(3) exception from telling the affected people was recorded.",
    Action.INCIDENT_UPDATE: "An incident's facts, scope or risk assessment changed; details list the fields.",
    Action.KEYS_ROTATE: "The register's encryption keys were rotated.",
    Action.MAILING_CREATE: "A mailing was drafted.",
    Action.MAILING_SENT: "A mailing finished sending.",
    Action.MAILING_START: "A mailing started sending.",
    Action.ORGANISATION_CREATE: "An organisation was added.",
    Action.ORGANISATION_EXPORT: "The list of organisations was exported.",
    Action.ORGANISATION_ROLE_ADD: "An organisation became a customer, supplier or partner from a date.",
    Action.ORGANISATION_ROLE_END: "An organisation's role ended.",
    Action.ORGANISATION_UPDATE: "An organisation's name or details changed.",
    Action.PERSON_CREATE: "A person was added to the register.",
    Action.PERSON_ERASE: "A person was erased from the register; a tombstone keeps the proof (Art. 17).",
    Action.PERSON_EXPORT: "A person's data was exported (an access package, Art. 15).",
    Action.PERSON_IMPORT: "People were imported from a CSV file; details hold the counts.",
    Action.PERSON_IMPORT_CHECKED: "An uploaded CSV file was checked before anything was written.",
    Action.PERSON_IMPORT_REJECTS: "The rejected rows of an import were downloaded.",
    Action.PERSON_LIST: "People were listed or searched; each listed person is named as a subject.",
    Action.PERSON_READ: "A person's record was read.",
    Action.PERSON_UPDATE: "A person's record changed; details list the fields.",
    Action.RECORDS_EXPORT: "The Art. 30 records of processing were exported.",
    Action.REGISTER_EXPORT: "The register was exported as CSV.",
    Action.REGISTER_RECTIFY: "A person's data was corrected (Art. 16).",
    Action.REGISTER_REINDEX: "The name search index was rebuilt.",
    Action.RELATIONSHIP_CREATE: "A relationship (a category and an activity) was added to a person.",
    Action.RELATIONSHIP_ERASE: "One relationship of a person was erased by the retention sweep.",
    Action.RELATIONSHIP_SETTLE_DATES: "A relationship's dates were settled from its organisation's role.",
    Action.RELATIONSHIP_UPDATE: "A relationship changed or ended.",
    Action.REQUEST_APPROVED: "A request waiting for approval was approved.",
    Action.REQUEST_ASSESSED: "An objection or a restriction was assessed.",
    Action.REQUEST_ASSESSING: "A request went to assessment.",
    Action.REQUEST_ASSIGNED: "A request was assigned to a member (or unassigned).",
    Action.REQUEST_COMPLETED: "A request was answered and completed.",
    Action.REQUEST_CUSTOMER_INFORMED: "The customer (the controller) was told of a request meant for it.",
    Action.REQUEST_DOWNLOADED: "The person downloaded their access package.",
    Action.REQUEST_EXPORT: "The request queue was exported.",
    Action.REQUEST_EXTENDED: "A request's deadline was extended (Art. 12(3)), with the reason told to the person.",
    Action.REQUEST_IN_PROGRESS: "Work on a request started.",
    Action.REQUEST_LETTER_FAILED: "A letter to the person could not be sent.",
    Action.REQUEST_LETTER_SENT: "A letter to the person was sent.",
    Action.REQUEST_PROCESSOR_REDIRECT: "A request about a customer's data was sent on to the customer.",
    Action.REQUEST_RECEIVED: "A request was received; details hold its kind and channel.",
    Action.REQUEST_RECIPIENTS_NOTIFIED: "Recipients of the data were told of an erasure or correction (Art. 19).",
    Action.REQUEST_REFUSED: "A request was refused, with reasons told to the person.",
    Action.REQUEST_REMINDER: "A reminder of a request's deadline was sent to staff.",
    Action.REQUEST_RETRY: "Failed tasks of a request were retried.",
    Action.REQUEST_TASK_FAILED: "A system task of a request failed (it is retried).",
    Action.REQUEST_TASK_PENDING: "A system task of a request is pending.",
    Action.REQUEST_TASK_WAITING: "A system task waits for its owner's manual confirmation.",
    Action.REQUEST_VERIFICATION_FAILED: "A verification code was wrong or expired.",
    Action.REQUEST_VERIFICATION_RESENT: "A new verification code was sent.",
    Action.REQUEST_VERIFIED: "The requester proved control of the address.",
    Action.REQUEST_VERIFIED_MANUALLY: "A member verified the requester's identity by other means.",
    Action.REQUEST_VERIFYING: "A verification code was sent to the requester.",
    Action.REQUEST_VIEWED: "A member opened a request.",
    Action.REQUEST_WITHDRAWN: "The requester withdrew a request.",
    Action.REQUEST_WORK_DONE: "Every task of a request finished; details sum them up.",
    Action.RESTRICTION_ADD: "Processing of a person's data was restricted (Art. 18).",
    Action.RESTRICTION_LIFT: "A restriction was lifted.",
    Action.RETENTION_HOLD_ADD: "A legal hold was placed on a person.",
    Action.RETENTION_HOLD_RELEASE: "A legal hold was released.",
    Action.RETENTION_HOLD_STOPS_ERASURE: "A legal hold stopped an erasure that was due.",
    Action.RETENTION_PLAN: "The retention plan (who is due when) was read or previewed.",
    Action.RETENTION_SWEEP_DONE: "A retention sweep finished; details hold the counts.",
    Action.RETENTION_SWEEP_REQUESTED: "A member asked for a retention sweep.",
    Action.RETENTION_SWEEP_START: "A retention sweep started.",
    Action.RETENTION_TOMBSTONE_READ: "A tombstone (the proof of one erasure) was read.",
    Action.RETENTION_TOMBSTONES: "The list of tombstones was read.",
    Action.ROLE_CREATE: "A custom role was created.",
    Action.SELECTION_CREATE: "A selection of people for a mailing was made.",
    Action.SELECTION_EXPORT: "A selection of people was exported.",
    Action.STAFF_CREATE: "A staff member was added.",
    Action.STAFF_DISABLE: "A staff member was disabled (their sessions closed).",
    Action.STAFF_PASSWORD_CHANGE: "A member changed their password.",
    Action.STAFF_RECOVERY_CODES_RENEW: "A member made new recovery codes.",
    Action.STAFF_TOTP_ENROL: "A member enrolled an authenticator app.",
    Action.STAFF_UNLOCK: "A locked account was unlocked.",
    Action.STAFF_UPDATE: "A staff member's name, email or status changed.",
    Action.SUPPRESSION_ADD: "An address was put on the do-not-contact list (objection or unsubscribe).",
    Action.SYSTEM_ERASE: "A connected system erased a person's data; details hold the counts.",
    Action.SYSTEM_EXPORT: "A connected system exported a person's data; details hold the counts.",
    Action.SYSTEM_MAPPING_CONFIRMED: "A proposed data map from a scan was confirmed.",
    Action.SYSTEM_OWNER_SET: "A system's owner was set.",
    Action.SYSTEM_RECTIFY: "A connected system corrected a person's data.",
    Action.SYSTEM_SCAN: "A connected system's schema was scanned for personal data.",
    Action.SYSTEM_SCAN_DISCARDED: "A scan's proposals were discarded.",
    Action.SYSTEM_TASK_CONFIRM: "A system owner confirmed a manual task done.",
    Action.SYSTEM_TASK_OPEN: "A manual task was opened for a system's owner.",
    Action.SYSTEM_TASK_READ: "A manual task was read.",
    Action.SYSTEMS_ERASE: "Every connected system was asked to erase a person.",
    Action.SYSTEMS_EXPORT: "Every connected system was asked for a person's data.",
    Action.TOKEN_CREATE: "An API token was made.",
    Action.TOKEN_REVOKE: "An API token was revoked.",
}


def is_valid_action(name: str) -> bool:
    return len(name) <= MAX_ACTION_LENGTH and ACTION_PATTERN.fullmatch(name) is not None


def is_known_action(name: str) -> bool:
    return name in Action._value2member_map_


def catalogue_markdown() -> str:
    """`docs/audit-actions.md`: every action by area, with its meaning."""
    lines = [
        "# Audit actions",
        "",
        "Every event in the audit log names one of these actions. This page is generated from",
        "`src/custos/audit/actions.py` by `custos audit actions --markdown > docs/audit-actions.md`;",
        "a test fails when the two disagree. The admin's audit page filters the log by area (the part before",
        "the dot).",
    ]
    area = ""
    for action in sorted(Action, key=str):
        here = action.split(".", 1)[0]
        if here != area:
            area = here
            lines += ["", f"## {area}", "", "| action | meaning |", "|---|---|"]
        lines.append(f"| `{action}` | {MEANING[action]} |")
    return "\n".join(lines) + "\n"
