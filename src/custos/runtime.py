"""Everything a running Custos holds, built once from settings and passed down to the edges."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from custos.actor import Actor
from custos.clock import Clock, SystemClock
from custos.crypto import KeyRing, load_key_file
from custos.db import Database, make_engine
from custos.db.migrate import current_revision, head_revision
from custos.errors import ConfigurationError
from custos.policy import Policy, load_policy
from custos.settings import Settings
from custos.work import Work, open_work


class Closeable(Protocol):
    def close(self) -> None: ...


_Held = TypeVar("_Held", bound=Closeable)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    keys: KeyRing
    policy: Policy
    clock: Clock
    # Where connected systems' URLs and tokens are read (policy `connection:` / `http.auth.env` name the variable).
    system_env: Mapping[str, str] = field(default_factory=dict, repr=False)
    _held: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def held(self, name: str, make: Callable[[], _Held]) -> _Held:
        """A resource made on first use and closed with the runtime (the connected systems' engine pools).

        The area that needs one makes it, so the runtime holds it without importing that area."""
        if name not in self._held:
            self._held[name] = make()
        resource: _Held = self._held[name]
        return resource

    @contextmanager
    def work(self, actor: Actor) -> Iterator[Work]:
        """A unit of work by `actor` on a new transaction (see `custos.work`)."""
        with open_work(self.db, self.clock, self.keys, self.policy, actor) as work:
            yield work

    def close(self) -> None:
        held, self._held = self._held, {}
        for resource in held.values():
            resource.close()
        self.db.dispose()


def open_runtime(settings: Settings, clock: Clock | None = None, environ: Mapping[str, str] | None = None) -> Runtime:
    """Connect to an initialised installation; says what to run when it is not initialised."""
    policy = load_policy(settings.policy_path)
    keys = load_key_file(settings.key_file)
    db = Database(make_engine(settings.database_url))
    revision = current_revision(db.engine)
    if revision != head_revision():
        db.dispose()
        state = "not initialised" if revision is None else f"at migration {revision}"
        raise ConfigurationError(f"the database is {state}; run `custos init` to bring it up to date")
    return Runtime(
        settings=settings,
        db=db,
        keys=keys,
        policy=policy,
        clock=clock or SystemClock(),
        system_env=os.environ if environ is None else environ,
    )
