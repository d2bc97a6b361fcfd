"""Every table of Custos, for what needs the whole schema at once: Alembic's migrations and the tests that
compare the models with the database.

It sits above the domain packages (it imports each one's models), so nothing in them may import it.
"""

from custos.access.models import ApiToken, Grant, RecoveryCode, Role, Staff, StaffSession
from custos.audit.models import AuditBlock, AuditEvent, AuditHead  # noqa: F401  (registers the audit tables)
from custos.consent.models import ConsentRecord
from custos.db.base import Base
from custos.db.published import PolicyVersion
from custos.incidents.models import Incident, IncidentCustomer, IncidentEvent, IncidentLetter, IncidentNotification
from custos.jobs.models import JobRun
from custos.mailings.models import Mailing, MailingDelivery, Selection
from custos.register.models import Identity, Organisation, OrganisationRole, Person, Relationship
from custos.register.objections_models import Restriction, Suppression
from custos.register.upload_models import ImportUpload
from custos.requests.models import (
    SubjectRequest,
    SubjectRequestCode,
    SubjectRequestDownload,
    SubjectRequestEvent,
    SubjectRequestTask,
)
from custos.retention.models import LegalHold, RetentionSweep, RetentionTask, Tombstone
from custos.systems.models import SystemRun, SystemState, SystemSubjectKeys, SystemTask
from custos.systems.scan_models import SystemScan, SystemScanTable  # noqa: F401  (scans confirmed in the admin)

__all__ = [
    "ApiToken",
    "Base",
    "ConsentRecord",
    "Grant",
    "Identity",
    "ImportUpload",
    "Incident",
    "IncidentCustomer",
    "IncidentEvent",
    "IncidentLetter",
    "IncidentNotification",
    "JobRun",
    "LegalHold",
    "Mailing",
    "MailingDelivery",
    "Organisation",
    "OrganisationRole",
    "Person",
    "PolicyVersion",
    "RecoveryCode",
    "Relationship",
    "Restriction",
    "RetentionSweep",
    "RetentionTask",
    "Role",
    "Selection",
    "Staff",
    "StaffSession",
    "SubjectRequest",
    "SubjectRequestCode",
    "SubjectRequestDownload",
    "SubjectRequestEvent",
    "SubjectRequestTask",
    "Suppression",
    "SystemRun",
    "SystemState",
    "SystemSubjectKeys",
    "SystemTask",
    "Tombstone",
]
