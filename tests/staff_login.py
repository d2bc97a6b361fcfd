"""A staff member made for a test (the `staff_factory` fixture), in a module of its own so that any test can name the
type: `from conftest import` is ambiguous once several test folders have a conftest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pyotp


@dataclass(frozen=True)
class StaffLogin:
    """A staff member made for a test, with what it takes to log in as them."""

    id: int
    email: str
    password: str
    totp_secret: str | None

    def code(self, at: datetime) -> str:
        assert self.totp_secret is not None
        return pyotp.TOTP(self.totp_secret).at(at)
