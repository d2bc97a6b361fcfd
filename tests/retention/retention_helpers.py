"""Reading the outcome of a sweep in tests."""

from __future__ import annotations

from sqlalchemy import func, select

from custos.register.models import Person
from custos.retention.models import Tombstone
from custos.runtime import Runtime


def exists(runtime: Runtime, ref: str) -> bool:
    with runtime.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Person).where(Person.ref == ref)) == 1


def tombstones(runtime: Runtime, ref: str) -> list[Tombstone]:
    with runtime.db.transaction() as session:
        return list(session.scalars(select(Tombstone).where(Tombstone.subject_ref == ref).order_by(Tombstone.id)))
