"""Deadlines the law counts: a request's month (Art. 12(3)) and a breach's 72 hours (Art. 33(1))."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select

from custos.incidents.service import summaries
from custos.invariants.finding import Finding, InvariantContext
from custos.requests.models import SubjectRequest
from custos.requests.states import OPEN
from custos.work import Work


def requests_overdue(work: Work, ctx: InvariantContext) -> Iterator[Finding]:
    due = func.coalesce(SubjectRequest.extended_due_on, SubjectRequest.due_on)
    rows = work.session.execute(
        select(SubjectRequest.ref, SubjectRequest.kind, SubjectRequest.state, due)
        .where(SubjectRequest.state.in_(sorted(OPEN)), due < ctx.on)
        .order_by(due, SubjectRequest.id)
    )
    for ref, kind, state, due_on in rows:
        yield Finding(f"request {ref}", f"{kind} request, {state}, was due on {due_on}")


def breaches_unnotified(work: Work, ctx: InvariantContext) -> Iterator[Finding]:
    """Open breaches past 72 hours with neither a notice to the authority nor a documented decision not to."""
    for incident in summaries(work.session, ctx.now, state="open"):
        if incident.role != "controller" or incident.authority_notified or incident.decision == "not_notify":
            continue
        if incident.deadline < ctx.now:
            yield Finding(
                f"incident {incident.id}",
                f"aware at {incident.aware_at:%Y-%m-%d %H:%M} UTC; the 72 hours ended "
                f"{incident.deadline:%Y-%m-%d %H:%M} UTC with no notice and no decision",
            )
