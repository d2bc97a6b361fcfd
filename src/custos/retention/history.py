"""Past and running sweeps with their tombstone counts, newest first."""

from __future__ import annotations

from sqlalchemy import func, select

from custos.retention.models import RetentionSweep, Tombstone
from custos.retention.schemas import SweepPublic
from custos.work import Work


def recent_sweeps(work: Work, limit: int = 20) -> list[SweepPublic]:
    session = work.session
    sweeps = list(session.scalars(select(RetentionSweep).order_by(RetentionSweep.id.desc()).limit(limit)))
    counts: dict[int, int] = {}
    if sweeps:
        rows = session.execute(
            select(Tombstone.sweep_id, func.count())
            .where(Tombstone.sweep_id.in_([s.id for s in sweeps]))
            .group_by(Tombstone.sweep_id)
        )
        counts = {sweep_id: int(n) for sweep_id, n in rows if sweep_id is not None}
    return [sweep_public(s, counts.get(s.id, 0)) for s in sweeps]


def sweep_public(sweep: RetentionSweep, tombstones: int) -> SweepPublic:
    return SweepPublic(
        id=sweep.id,
        state=sweep.state,
        as_of=sweep.as_of,
        trigger=sweep.trigger,
        actor=sweep.actor,
        started_at=sweep.started_at,
        finished_at=sweep.finished_at,
        planned=sweep.planned,
        erased=sweep.erased,
        trimmed=sweep.trimmed,
        skipped=sweep.skipped,
        held=sweep.held,
        released=sweep.released,
        tombstones=tombstones,
    )
