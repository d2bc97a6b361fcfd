"""Everything a running Custos holds, built once from settings and passed down to the edges."""

from __future__ import annotations

from dataclasses import dataclass

from custos.clock import Clock, SystemClock
from custos.crypto import KeyRing, load_key_file
from custos.db import Database, make_engine
from custos.db.migrate import current_revision, head_revision
from custos.errors import ConfigurationError
from custos.policy import Policy, load_policy
from custos.register.context import RegisterContext
from custos.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    db: Database
    keys: KeyRing
    policy: Policy
    clock: Clock

    @property
    def register(self) -> RegisterContext:
        return RegisterContext(keys=self.keys, policy=self.policy, clock=self.clock)

    def close(self) -> None:
        self.db.dispose()


def open_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    """Connect to an initialised installation; says what to run when it is not initialised."""
    policy = load_policy(settings.policy_path)
    keys = load_key_file(settings.key_file)
    db = Database(make_engine(settings.database_url))
    revision = current_revision(db.engine)
    if revision != head_revision():
        db.dispose()
        state = "not initialised" if revision is None else f"at migration {revision}"
        raise ConfigurationError(f"the database is {state}; run `custos init` to bring it up to date")
    return Runtime(settings=settings, db=db, keys=keys, policy=policy, clock=clock or SystemClock())
