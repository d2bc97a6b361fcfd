"""Injected dependencies as `Annotated` aliases, so routes read as what they need."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from custos.actor import Actor
from custos.runtime import Runtime
from custos.work import AfterCommit, Work


def get_runtime(request: Request) -> Runtime:
    runtime = request.app.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime


@dataclass(frozen=True)
class RequestUnit:
    """The request's one transaction and the side effects waiting for it to commit."""

    runtime: Runtime
    session: Session
    pending: AfterCommit

    def work(self, actor: Actor) -> Work:
        """A unit of work by `actor` on the request's transaction (the route's caller, or a public actor)."""
        runtime = self.runtime
        return Work(self.session, runtime.clock, runtime.keys, runtime.policy, actor, self.pending)


def get_unit(runtime: Annotated[Runtime, Depends(get_runtime)]) -> Iterator[RequestUnit]:
    pending = AfterCommit()
    with runtime.db.transaction() as session:
        yield RequestUnit(runtime, session, pending)
    pending.run()


# scope="function": commit (audit events included) before the response is sent, not after.
UnitDep = Annotated[RequestUnit, Depends(get_unit, scope="function")]


def get_session(unit: UnitDep) -> Session:
    return unit.session


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SessionDep = Annotated[Session, Depends(get_session)]
