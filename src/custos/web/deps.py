"""Injected dependencies as `Annotated` aliases, so routes read as what they need."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from custos.register.context import RegisterContext
from custos.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime = request.app.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime


def get_session(runtime: Annotated[Runtime, Depends(get_runtime)]) -> Iterator[Session]:
    with runtime.db.transaction() as session:
        yield session


def get_register(runtime: Annotated[Runtime, Depends(get_runtime)]) -> RegisterContext:
    return runtime.register


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
# scope="function": commit (audit events included) before the response is sent, not after.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
RegisterDep = Annotated[RegisterContext, Depends(get_register)]
