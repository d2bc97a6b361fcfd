"""Requests tests: a runtime whose policy connects one SQLite customer system, a person in the register who is
also in that system, and the file outbox read back (see `requests_support`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from requests_support import Connected, open_connected

from custos.clock import FixedClock
from custos.runtime import Runtime
from custos.settings import Settings


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return replace(settings, packages_dir=tmp_path / "packages", outbox_dir=tmp_path / "outbox")


@pytest.fixture
def connected(runtime: Runtime, settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[Connected]:
    c = open_connected(settings, clock, tmp_path)
    yield c
    c.runtime.close()
