"""The shared permission check: a grant's use is recorded, a refusal is audited before it is raised."""

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from custos.access.enforce import enforce
from custos.access.identify import for_cli
from custos.access.models import Grant
from custos.audit import AuditEvent
from custos.errors import PermissionDenied
from custos.runtime import Runtime


def test_allowed_use_is_recorded_and_refusal_audited(runtime: Runtime, staff_factory: Callable[..., Any]) -> None:
    member = staff_factory("auditor", scope="custos")
    with runtime.db.transaction() as session:
        principal = for_cli(session, runtime.clock, member.email, default_to_bootstrap_admin=False)
    assert enforce(runtime, principal, "audit.read", "custos") is principal
    with runtime.db.transaction() as session:
        used = session.scalars(select(Grant.last_used_at).where(Grant.staff_id == member.id)).all()
    assert used == [runtime.clock.now()]
    with pytest.raises(PermissionDenied):
        enforce(runtime, principal, "register.read", "custos")
    with runtime.db.transaction() as session:
        denied = session.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")).all()
    assert [(e.outcome, e.details["permission"]) for e in denied] == [("denied", "register.read")]
