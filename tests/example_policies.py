"""The example policies Custos ships: tests that are not about one country's law run for each of them.

`elastx` is a Swedish cloud provider (the seed policy); `corrib` a fictional Irish company, so that nothing
that should come from the policy file (zone, holidays, authority, phone region, languages) is Swedish by
accident.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from custos.clock import Clock
from custos.jurisdiction import Jurisdiction
from custos.policy import Policy, load_policy
from custos.runtime import Runtime, open_runtime
from custos.settings import load_settings
from custos.setup import initialise

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = {
    "elastx": ROOT / "examples" / "elastx" / "policy.yaml",
    "corrib": ROOT / "examples" / "corrib" / "policy.yaml",
}


@cache
def example(name: str) -> Policy:
    return load_policy(EXAMPLES[name])


def jurisdiction_of(name: str) -> Jurisdiction:
    return example(name).jurisdiction


@contextmanager
def example_runtime(name: str, database_url: str, folder: Path, clock: Clock) -> Iterator[Runtime]:
    """An initialised installation that runs the example policy `name` (the conftest's `runtime` runs Elastx)."""
    settings = load_settings(
        {},
        None,
        overrides={
            "database_url": database_url,
            "key_file": str(folder / "custos.key"),
            "policy_path": str(EXAMPLES[name]),
            "packages_dir": str(folder / "packages"),
            "outbox_dir": str(folder / "outbox"),
        },
    )
    initialise(settings, clock)
    runtime = open_runtime(settings, clock)
    try:
        yield runtime
    finally:
        runtime.close()
