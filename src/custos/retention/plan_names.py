"""The names of the people a retention page shows, decrypted for those rows only and audited as a list.

A plan or a sweep's confirmation names people so that the person deciding knows whom they erase (plain words,
not refs); reading those names is a read of each person (Art. 5(2)), so it is recorded as `person.list` with
their refs in the same transaction as the read.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos import audit
from custos.actor import Actor
from custos.clock import Clock
from custos.crypto import KeyRing
from custos.register.models import Person
from custos.register.people import NAME


def names_shown(
    session: Session, clock: Clock, actor: Actor, keys: KeyRing, refs: Iterable[str], *, page: str
) -> dict[str, str]:
    """ref → name for the given refs (a person no longer in the register is left out); one audit event."""
    wanted = sorted(set(refs))
    if not wanted:
        return {}
    found = {
        ref: keys.decrypt(blob, NAME)
        for ref, blob in session.execute(select(Person.ref, Person.name_enc).where(Person.ref.in_(wanted)))
    }
    audit.record(session, clock, actor, "person.list", details={"refs": sorted(found), "page": page})
    return found
