"""The dashboard: how many people, staff and audit events there are — each count only for those whose grants
open that area, and never a person's data (those need `register.read` and a page of their own)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from custos.access.models import Staff
from custos.access.review import access_review
from custos.audit import AuditHead
from custos.audit.models import HEAD_ID
from custos.register.people import count_people
from custos.web.admin.pages import Viewer, ViewerDep, render_page
from custos.web.auth import SignedIn
from custos.web.deps import RuntimeDep

router = APIRouter(prefix="/admin", include_in_schema=False)

_NOTICES = {"password": "dashboard.password_changed"}


def _staff_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Staff)) or 0)


def _audit_count(session: Session) -> int:
    head = session.get(AuditHead, HEAD_ID)
    return head.count if head is not None else 0


def _counts(session: Session, runtime: RuntimeDep, viewer: Viewer) -> dict[str, int]:
    counts: dict[str, int] = {}
    if viewer.can("register.read"):
        counts["people"] = count_people(session)
    if viewer.can("staff.manage"):
        counts["staff"] = _staff_count(session)
        counts["findings"] = sum(1 for row in access_review(session, runtime.clock) if row.findings)
    if viewer.can("audit.read"):
        counts["audit"] = _audit_count(session)
    return counts


@router.get("", response_class=HTMLResponse)
def dashboard(
    request: Request, principal: SignedIn, viewer: ViewerDep, runtime: RuntimeDep, done: str | None = None
) -> HTMLResponse:
    with runtime.db.transaction() as session:
        counts = _counts(session, runtime, viewer)
    return render_page(request, "dashboard.html.j2", viewer=viewer, counts=counts, notice=_NOTICES.get(done or ""))
