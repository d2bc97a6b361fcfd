"""Passwords (argon2id) and second factors (RFC 6238 TOTP, recovery codes) on their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from custos.access.passwords import check_new_password, hash_password, verify_password
from custos.access.totp import accepted_step, hash_recovery_code, new_recovery_codes, new_secret, provisioning_uri
from custos.errors import InvalidInput

AT = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def test_passwords_are_argon2id_hashes() -> None:
    hashed = hash_password("a long enough secret")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "a long enough secret")
    assert not verify_password(hashed, "a long enough secreT")
    assert not verify_password("not a hash", "anything")


def test_new_passwords_need_length_not_tricks() -> None:
    check_new_password("correct horse battery", email="eva@moln.se")
    for bad in ("Sh0rt!", "EVA@moln.se", "x" * 1025):
        with pytest.raises(InvalidInput):
            check_new_password(bad, email="eva@moln.se")


def test_totp_accepts_one_step_of_drift_and_never_the_same_step_twice() -> None:
    secret = new_secret()
    totp = pyotp.TOTP(secret)
    step = accepted_step(secret, totp.at(AT), AT, None)
    assert step is not None
    assert accepted_step(secret, totp.at(AT - timedelta(seconds=30)), AT, None) == step - 1
    assert accepted_step(secret, totp.at(AT - timedelta(seconds=90)), AT, None) is None
    assert accepted_step(secret, totp.at(AT), AT, step) is None  # replayed
    assert accepted_step(secret, "12345", AT, None) is None
    assert provisioning_uri(secret, "eva@moln.se").startswith("otpauth://totp/Custos:")


def test_recovery_codes_are_many_distinct_and_hashed_loosely() -> None:
    codes = new_recovery_codes()
    assert len(set(codes)) == 10
    assert hash_recovery_code(codes[0]) == hash_recovery_code(codes[0].upper().replace("-", " "))
