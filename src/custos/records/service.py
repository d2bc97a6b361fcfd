"""Producing a record for a reader: built, rendered and audited in the caller's unit of work."""

from __future__ import annotations

from custos.audit.actions import Action
from custos.records.content import RecordKind, controller_record, processor_record
from custos.records.render import Format, Record, render
from custos.work import Work


def build(work: Work, kind: RecordKind, *, show_contacts: bool) -> Record:
    """The record as of now, not audited: for code that reads it without handing it to anyone."""
    if kind == "controller":
        return controller_record(work)
    return processor_record(work, show_contacts=show_contacts)


def view(work: Work, kind: RecordKind, shown_as: str, *, show_contacts: bool) -> Record:
    """The record for a reader, audited as shown (`shown_as`: a format, or `page` for the admin's own page),
    since the processor record may name customers' contact persons."""
    record = build(work, kind, show_contacts=show_contacts)
    work.audit(
        Action.RECORDS_EXPORT,
        target=f"records:{kind}",
        details={"format": shown_as, "contacts_shown": show_contacts and kind == "processor"},
    )
    return record


def export(work: Work, kind: RecordKind, fmt: Format, *, show_contacts: bool) -> str:
    """The record in `fmt`; audited as `view`."""
    return render(view(work, kind, fmt, show_contacts=show_contacts), fmt)
