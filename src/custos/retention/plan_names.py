"""The names of the people a retention page shows, decrypted for those rows only and audited as a list.

A plan or a sweep's confirmation names people so that the person deciding knows whom they erase (plain words,
not refs); reading those names is a read of each person (Art. 5(2)), so it is recorded as `person.list` with
their refs in the same unit as the read, by the register's one `person.list` writer (`listing.record_list`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from custos.register.listed import record_list
from custos.register.models import Person
from custos.register.people import NAME
from custos.work import Work


def names_shown(work: Work, refs: Iterable[str], *, page: str) -> dict[str, str]:
    """ref → name for the given refs (a person no longer in the register is left out); audited by ref."""
    wanted = sorted(set(refs))
    if not wanted:
        return {}
    found = {
        ref: work.keys.decrypt(blob, NAME)
        for ref, blob in work.session.execute(select(Person.ref, Person.name_enc).where(Person.ref.in_(wanted)))
    }
    record_list(work, sorted(found), details={"page": page})
    return found
