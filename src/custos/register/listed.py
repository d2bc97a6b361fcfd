"""The one writer of `person.list`: a list shows names, so it is a read of each person on it (Art. 5(2)).

Every list of people goes through it (the People list and its search, the API's and the CLI's pages, an
organisation's people, the retention pages' names), so the events have one shape and one batch size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from custos.audit.actions import Action
from custos.work import Work

AUDIT_BATCH = 50  # refs per `person.list` event (the audit log's longest list)


def record_list(
    work: Work,
    refs: Sequence[str],
    *,
    offset: int = 0,
    target: str | None = None,
    details: Mapping[str, object] | None = None,
) -> None:
    """`person.list` events naming the people shown by ref, `AUDIT_BATCH` to an event, each with its position
    in the list, in the caller's unit. Nothing for an empty list (no one was shown)."""
    for start in range(0, len(refs), AUDIT_BATCH):
        batch = {"refs": list(refs[start : start + AUDIT_BATCH]), "offset": offset + start, **(details or {})}
        work.audit(Action.PERSON_LIST, target=target, details=batch)
