"""The queue of requests as staff work it: filters that combine, one page at a time, and bulk assignment.

Days left are calendar days to the deadline in force (`deadlines.days_left`, the same count as the request
page and the reminders): overdue, due within 3 days, within 7, or later. A days-left filter looks at open
requests only, since a closed one has no deadline left to run.

Bulk assignment is all or nothing: the selection is checked in the transaction that would write it, and when
any request in it is refused (finished, or no longer there) nothing is assigned and every refusal is named
with its reason, so staff never have to work out which half of a selection went through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql import Select

from custos.access.models import Staff
from custos.audit.actions import Action
from custos.errors import Conflict, InvalidInput, Problem
from custos.requests import cases
from custos.requests.models import SubjectRequest
from custos.requests.schemas import RequestSummary
from custos.requests.states import CLOSED, KINDS, STATES
from custos.work import Work

PAGE_SIZE = 50
MAX_SELECTION = 500
# Days-left filters: (lowest, highest) calendar days to the deadline in force, None for no bound.
DAYS: dict[str, tuple[int | None, int | None]] = {
    "overdue": (None, -1),
    "3": (0, 3),
    "7": (0, 7),
    "later": (8, None),
}
UNASSIGNED = "none"
MINE = "mine"


@dataclass(frozen=True)
class Filters:
    """What the queue shows; every field empty means everything. `assignee` is a staff id, `none` or `mine`."""

    state: str = ""
    kind: str = ""
    assignee: str = ""
    days: str = ""

    @staticmethod
    def of(state: str = "", kind: str = "", assignee: str = "", days: str = "", overdue: str = "") -> Filters:
        """From the query string; unknown values are dropped (a stale bookmark shows the whole queue)."""
        if overdue == "1" and not days:
            days = "overdue"  # the earlier "only overdue" box, kept for links made before the days filter
        return Filters(
            state=state if state in STATES else "",
            kind=kind if kind in KINDS else "",
            assignee=assignee if assignee in (UNASSIGNED, MINE) or assignee.isdigit() else "",
            days=days if days in DAYS else "",
        )

    def query(self) -> dict[str, str]:
        """The filters as query-string pairs, the empty ones left out."""
        pairs = {"state": self.state, "kind": self.kind, "assignee": self.assignee, "days": self.days}
        return {name: value for name, value in pairs.items() if value}


@dataclass(frozen=True)
class QueuePage:
    rows: list[RequestSummary]
    total: int
    offset: int
    size: int

    @property
    def has_next(self) -> bool:
        return self.offset + self.size < self.total


def _filtered(filters: Filters, today: date, viewer_id: int | None) -> Select[SubjectRequest]:
    query = select(SubjectRequest)
    if filters.state:
        query = query.where(SubjectRequest.state == filters.state)
    if filters.kind:
        query = query.where(SubjectRequest.kind == filters.kind)
    if filters.assignee == UNASSIGNED:
        query = query.where(SubjectRequest.assignee_id.is_(None))
    elif filters.assignee == MINE:
        query = query.where(SubjectRequest.assignee_id == (viewer_id if viewer_id is not None else -1))
    elif filters.assignee:
        query = query.where(SubjectRequest.assignee_id == int(filters.assignee))
    if filters.days:
        low, high = DAYS[filters.days]
        due = func.coalesce(SubjectRequest.extended_due_on, SubjectRequest.due_on)
        query = query.where(SubjectRequest.state.not_in(CLOSED))
        if low is not None:
            query = query.where(due >= today + timedelta(days=low))
        if high is not None:
            query = query.where(due <= today + timedelta(days=high))
    return query


def page(
    work: Work,
    filters: Filters,
    *,
    viewer_id: int | None = None,
    offset: int = 0,
    size: int | None = None,
) -> QueuePage:
    """One page of the filtered queue: open requests first, then by the deadline in force, then by ref."""
    session = work.session
    today = cases.today_local(work.clock, work.policy.jurisdiction)
    size = size or PAGE_SIZE
    query = _filtered(filters, today, viewer_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    closed_last = case((SubjectRequest.state.in_(CLOSED), 1), else_=0)
    due = func.coalesce(SubjectRequest.extended_due_on, SubjectRequest.due_on)
    ordered = query.order_by(closed_last, due, SubjectRequest.ref).offset(max(offset, 0)).limit(size)
    rows = [cases.summary(r, today) for r in session.scalars(ordered.options(selectinload(SubjectRequest.tasks)))]
    return QueuePage(rows, total, max(offset, 0), size)


def every(work: Work, filters: Filters, *, viewer_id: int | None = None) -> list[RequestSummary]:
    """The whole filtered queue in the page's order (for the CSV export)."""
    today = cases.today_local(work.clock, work.policy.jurisdiction)
    query = _filtered(filters, today, viewer_id)
    closed_last = case((SubjectRequest.state.in_(CLOSED), 1), else_=0)
    due = func.coalesce(SubjectRequest.extended_due_on, SubjectRequest.due_on)
    ordered = query.order_by(closed_last, due, SubjectRequest.ref).options(selectinload(SubjectRequest.tasks))
    return [cases.summary(r, today) for r in work.session.scalars(ordered)]


def export(work: Work, filters: Filters, *, viewer_id: int | None = None) -> list[RequestSummary]:
    """The filtered queue for a file that leaves Custos, audited with its filters and its size (Art. 5(2))."""
    rows = every(work, filters, viewer_id=viewer_id)
    work.audit(Action.REQUEST_EXPORT, target="requests:queue", details={"count": len(rows), **filters.query()})
    return rows


# -- bulk assignment ---------------------------------------------------------------------------------------

REFUSED_CLOSED = "closed"
REFUSED_UNKNOWN = "unknown"


@dataclass(frozen=True)
class Refusal:
    ref: str
    reason: str  # `closed` (with its state) or `unknown`; the pages word it
    state: str | None = None


class BulkRefused(Conflict):
    """Some of the selection cannot be assigned; nothing was."""

    def __init__(self, refused: list[Refusal]) -> None:
        super().__init__(f"{len(refused)} of the selected requests cannot be assigned; nothing was assigned")
        self.refused = refused


@dataclass(frozen=True)
class AssignmentPlan:
    allowed: list[str]
    refused: list[Refusal]


def _selection(refs: list[str]) -> list[str]:
    chosen = list(dict.fromkeys(r.strip() for r in refs if r.strip()))
    if not chosen:
        raise InvalidInput("choose the requests to assign", [Problem("refs", "no request is selected")])
    if len(chosen) > MAX_SELECTION:
        raise InvalidInput("too many requests at once", [Problem("refs", f"at most {MAX_SELECTION} at a time")])
    return chosen


def _assignee(session: Session, staff_id: int | None) -> None:
    if staff_id is None:
        return
    staff = session.get(Staff, staff_id)
    if staff is None or staff.status != "active":
        raise InvalidInput("choose an active staff member", [Problem("staff_id", "not an active staff member")])


def plan(work: Work, refs: list[str], staff_id: int | None) -> AssignmentPlan:
    """What assigning `refs` would do: the requests that can be assigned and those refused, with the reason."""
    session = work.session
    chosen = _selection(refs)
    _assignee(session, staff_id)
    found = {r.ref: r for r in session.scalars(select(SubjectRequest).where(SubjectRequest.ref.in_(chosen)))}
    allowed, refused = [], []
    for ref in chosen:
        req = found.get(ref)
        if req is None:
            refused.append(Refusal(ref, REFUSED_UNKNOWN))
        elif req.state in CLOSED:
            refused.append(Refusal(ref, REFUSED_CLOSED, req.state))
        else:
            allowed.append(ref)
    return AssignmentPlan(allowed, refused)


def assign_many(work: Work, refs: list[str], staff_id: int | None) -> list[str]:
    """Assign every request in `refs` to `staff_id` (None: unassign), each with its own event and audit entry,
    in the caller's one transaction; raises `BulkRefused` and writes nothing when any of them is refused."""
    checked = plan(work, refs, staff_id)
    if checked.refused:
        raise BulkRefused(checked.refused)
    for ref in checked.allowed:
        cases.assign(work, ref, staff_id)
    return checked.allowed
