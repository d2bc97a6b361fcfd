"""Passwords: argon2id hashes (Art. 32(1)(a)), and the few rules a new password must meet."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from custos.errors import InvalidInput, Problem

MIN_LENGTH = 12
MAX_LENGTH = 1024  # argon2 takes any length; a cap stops a megabyte "password" from tying up a worker


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password[:MAX_LENGTH])
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def burn_time(password: str) -> None:
    """Spend the time a real check would take, so an unknown email is not told apart by response time."""
    verify_password(_dummy_hash(), password)


@cache
def _dummy_hash() -> str:
    return _hasher().hash("not a real password, only for timing")


def check_new_password(password: str, *, email: str, location: str = "new_password") -> None:
    """Length over complexity rules (NIST SP 800-63B §5.1.1.2)."""
    problem: str | None = None
    if len(password) < MIN_LENGTH:
        problem = f"must be at least {MIN_LENGTH} characters"
    elif len(password) > MAX_LENGTH:
        problem = f"must be at most {MAX_LENGTH} characters"
    elif password.strip().lower() == email.strip().lower():
        problem = "must not be the email address"
    if problem:
        raise InvalidInput("the new password is not acceptable", [Problem(location, problem)])
