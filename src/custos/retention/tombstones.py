"""Tombstones to look at: the proof, person by person, that storage limitation was kept (Art. 5(1)(e), 5(2)).

A tombstone holds no personal data (`custos.retention.models.Tombstone`), but its ref answers "was this
person erased, when, under which rule?" for the person, or for the supervisory authority: so listing them
needs `retention.read`, and each look is audited like a look at the plan. The admin page, the CLI and the
API call these two functions.
"""

from __future__ import annotations

from sqlalchemy import func, select

from custos.audit.actions import Action
from custos.errors import InvalidInput, NotFound, Problem
from custos.retention.models import Tombstone
from custos.retention.schemas import TombstonePage, TombstonePublic
from custos.work import Work

MAX_PAGE = 500


def list_tombstones(
    work: Work,
    *,
    sweep_id: int | None = None,
    subject_ref: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> TombstonePage:
    """Newest first; only one sweep's, or only one person's (by ref), when asked."""
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise InvalidInput(
            "the page of tombstones is not valid",
            [Problem("limit", f"between 1 and {MAX_PAGE}, with an offset of 0 or more")],
        )
    session = work.session
    query = select(Tombstone)
    if sweep_id is not None:
        query = query.where(Tombstone.sweep_id == sweep_id)
    if subject_ref:
        query = query.where(Tombstone.subject_ref == subject_ref.strip().lower())
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = session.scalars(query.order_by(Tombstone.erased_at.desc(), Tombstone.id.desc()).limit(limit).offset(offset))
    items = [_public(row) for row in rows]
    work.audit(
        Action.RETENTION_TOMBSTONES,
        subject=subject_ref.strip().lower() if subject_ref else None,
        target=f"retention_sweep:{sweep_id}" if sweep_id is not None else None,
        details={"shown": len(items), "total": total, "offset": offset},
    )
    return TombstonePage(total=total, items=items, limit=limit, offset=offset)


def get_tombstone(work: Work, tombstone_id: int) -> TombstonePublic:
    row = work.session.get(Tombstone, tombstone_id)
    if row is None:
        raise NotFound(f"no tombstone {tombstone_id}")
    work.audit(Action.RETENTION_TOMBSTONE_READ, subject=row.subject_ref, target=f"tombstone:{row.id}")
    return _public(row)


def _public(row: Tombstone) -> TombstonePublic:
    return TombstonePublic(
        id=row.id,
        sweep_id=row.sweep_id,
        subject_ref=row.subject_ref,
        action=row.action,
        state=row.state,
        retained_until=row.retained_until,
        as_of=row.as_of,
        erased_at=row.erased_at,
        counts=dict(row.counts),
        entries=list(row.entries),
    )
