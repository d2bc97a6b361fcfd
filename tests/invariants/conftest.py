"""The invariants' tests start from the example installation as `make run` leaves it."""

from __future__ import annotations

import pytest

from custos.runtime import Runtime
from example_install import own_every_system


@pytest.fixture
def owned(runtime: Runtime) -> Runtime:
    own_every_system(runtime)
    return runtime
