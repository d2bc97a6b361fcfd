"""The tamper-evident audit log: `record` an event, `verify` the chain, `export` a date range.

Art. 5(2) accountability and Art. 32 security: every read, export, change and erasure of personal data and
every login is recorded in an append-only, hash-chained log whose alteration `verify` detects.
"""

from custos.audit.actions import Action
from custos.audit.export import export
from custos.audit.log import record
from custos.audit.models import AuditBlock, AuditEvent, AuditHead
from custos.audit.verify import VerifyReport, verify

__all__ = ["Action", "AuditBlock", "AuditEvent", "AuditHead", "VerifyReport", "export", "record", "verify"]
