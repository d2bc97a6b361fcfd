"""Producing a record for a reader: built, rendered and audited in one transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from custos import audit
from custos.actor import Actor
from custos.clock import Clock
from custos.crypto import KeyRing
from custos.policy import Policy
from custos.records.content import RecordKind, controller_record, processor_record
from custos.records.render import Format, Record, render


def build(
    session: Session, policy: Policy, keys: KeyRing, clock: Clock, kind: RecordKind, *, show_contacts: bool
) -> Record:
    if kind == "controller":
        return controller_record(session, policy, clock.now())
    return processor_record(session, policy, keys, clock.now(), show_contacts=show_contacts)


def export(
    session: Session,
    policy: Policy,
    keys: KeyRing,
    clock: Clock,
    actor: Actor,
    kind: RecordKind,
    fmt: Format,
    *,
    show_contacts: bool,
) -> str:
    """The record in `fmt`; audited, since the processor record may name customers' contact persons."""
    record = build(session, policy, keys, clock, kind, show_contacts=show_contacts)
    text = render(record, fmt)
    audit_view(session, clock, actor, kind, fmt, show_contacts)
    return text


def audit_view(session: Session, clock: Clock, actor: Actor, kind: RecordKind, fmt: str, show_contacts: bool) -> None:
    audit.record(
        session,
        clock,
        actor,
        "records.export",
        target=f"records:{kind}",
        details={"format": fmt, "contacts_shown": show_contacts and kind == "processor"},
    )
