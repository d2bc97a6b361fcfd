"""Time-based one-time codes (RFC 6238) and single-use recovery codes: the second factor of a staff login.

Art. 32(1): multi-factor login for everyone who can see personal data. A code is accepted in the current
30-second step or one step either side (clock drift), and never twice.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import pyotp

ISSUER = "Custos"
RECOVERY_CODES = 10
_STEP = 30
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: codes are read off paper


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def accepted_step(secret: str, code: str, at: datetime, last_step: int | None) -> int | None:
    """The time step `code` belongs to, or None when it is wrong or was already used."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(at.timestamp()) // _STEP
    for step in (now_step - 1, now_step, now_step + 1):
        if last_step is not None and step <= last_step:
            continue
        if secrets.compare_digest(totp.at(step * _STEP), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten codes of 16 characters (about 79 bits each): enough entropy for a plain SHA-256 digest."""
    return [
        "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4)) for _ in range(RECOVERY_CODES)
    ]


def hash_recovery_code(code: str) -> str:
    normalised = code.strip().lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(normalised.encode()).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    return len(code.strip().replace("-", "").replace(" ", "")) == 16
