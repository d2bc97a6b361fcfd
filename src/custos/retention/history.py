"""Past and running sweeps with their tombstone counts, newest first."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from custos.retention.models import RetentionSweep, Tombstone
from custos.retention.schemas import SweepPublic


def recent_sweeps(session: Session, limit: int = 20) -> list[SweepPublic]:
    sweeps = list(session.scalars(select(RetentionSweep).order_by(RetentionSweep.id.desc()).limit(limit)))
    counts: dict[int, int] = {}
    if sweeps:
        rows = session.execute(
            select(Tombstone.sweep_id, func.count())
            .where(Tombstone.sweep_id.in_([s.id for s in sweeps]))
            .group_by(Tombstone.sweep_id)
        )
        counts = {sweep_id: int(n) for sweep_id, n in rows if sweep_id is not None}
    return [
        SweepPublic(
            id=s.id,
            state=s.state,
            as_of=s.as_of,
            trigger=s.trigger,
            actor=s.actor,
            started_at=s.started_at,
            finished_at=s.finished_at,
            planned=s.planned,
            erased=s.erased,
            trimmed=s.trimmed,
            skipped=s.skipped,
            held=s.held,
            released=s.released,
            tombstones=counts.get(s.id, 0),
        )
        for s in sweeps
    ]
