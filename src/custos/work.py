"""`Work`: one unit of work — a transaction, who acts in it, and what it may use — handed to every service.

Services come in two tiers, and their first parameter says which:

- **session tier** — `fn(work: Work, ...)`: runs inside the caller's transaction, never commits, audits
  through `work.audit` so that the event and the change it documents commit or roll back together
  (Art. 5(2)), and registers side effects that must not happen for a rolled-back change (mail, files)
  with `work.after_commit`.
- **runtime tier** — `fn(runtime: Runtime, ...)`: long or resumable work (request drives, sweeps, imports,
  mailings, system runs) that opens its own units with `runtime.work(actor)`, one per batch or step, so a
  crash loses at most the step in flight.

The edges (HTTP routes, CLI commands, jobs) only open a unit, call one service, and render its answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from sqlalchemy.orm import Session

from custos.actor import Actor
from custos.audit.actions import Action
from custos.audit.log import Entry, record, record_many
from custos.audit.models import AuditEvent
from custos.clock import Clock
from custos.crypto import KeyRing
from custos.db import Database
from custos.policy import Policy

log = logging.getLogger(__name__)


@dataclass
class AfterCommit:
    """Side effects waiting for a transaction to commit; shared by every `Work` made on that transaction."""

    calls: list[Callable[[], None]] = field(default_factory=list)

    def run(self) -> None:
        """Run each in order, even when an earlier one fails; then raise the first failure.

        The transaction has committed by now, so the change stands; raising still tells the edge that a
        letter or a file did not go out, instead of hiding it.
        """
        calls, self.calls = self.calls, []
        first: Exception | None = None
        for call in calls:
            try:
                call()
            except Exception as error:  # each side effect gets its chance; the first error is raised after
                log.exception("after-commit step %r failed", call)
                first = first or error
        if first is not None:
            raise first


@dataclass(frozen=True)
class Work:
    session: Session
    clock: Clock
    keys: KeyRing
    policy: Policy
    actor: Actor
    pending: AfterCommit = field(default_factory=AfterCommit, repr=False)

    def audit(
        self,
        action: Action,
        *,
        subject: str | None = None,
        target: str | None = None,
        purpose: str | None = None,
        reference: str | None = None,
        outcome: str = "ok",
        details: Mapping[str, object] | None = None,
    ) -> AuditEvent:
        """Append one event by this unit's actor, in this unit's transaction (see `custos.audit.log.record`)."""
        return record(
            self.session,
            self.clock,
            self.actor,
            action,
            subject=subject,
            target=target,
            purpose=purpose,
            reference=reference,
            outcome=outcome,
            details=details,
        )

    def audit_many(self, entries: Iterable[Entry]) -> int:
        """Append a batch of events by this unit's actor in one statement (`custos.audit.log.record_many`)."""
        return record_many(self.session, self.clock, self.actor, entries)

    def after_commit(self, call: Callable[[], None]) -> None:
        """Run `call` once the transaction has committed, and never if it rolls back."""
        self.pending.calls.append(call)

    def acting_as(self, actor: Actor) -> Work:
        """The same transaction and pending side effects, audited under another actor (a job's step inside a
        member's action, say)."""
        return replace(self, actor=actor)


@contextmanager
def open_work(db: Database, clock: Clock, keys: KeyRing, policy: Policy, actor: Actor) -> Iterator[Work]:
    """A unit on a new transaction: committed when the block ends, rolled back (side effects dropped) on error."""
    pending = AfterCommit()
    with db.transaction() as session:
        yield Work(session=session, clock=clock, keys=keys, policy=policy, actor=actor, pending=pending)
    pending.run()
