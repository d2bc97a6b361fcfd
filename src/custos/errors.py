"""Domain errors.

Services raise these plain exceptions; the HTTP edge (`custos.web.errors`) maps each class to a status code
and one JSON shape, and the CLI turns them into a message and exit code 1. Nothing below `web/` knows HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with some input: where it is, what is wrong, and how to fix it."""

    location: str
    message: str
    line: int | None = None
    hint: str | None = None

    def __str__(self) -> str:
        place = self.location if self.line is None else f"{self.location} (line {self.line})"
        text = f"{place}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text


@dataclass
class CustosError(Exception):
    """Base of every error a service raises on purpose."""

    message: str
    problems: list[Problem] = field(default_factory=list)
    code: str = "error"

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class NotFound(CustosError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="not_found")


class InvalidInput(CustosError):
    """The caller sent something that breaks a rule; `problems` says where and why."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message, problems or [], code="invalid_input")


class Conflict(CustosError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="conflict")


class PolicyInvalid(CustosError):
    """The policy file cannot be used; every problem carries its place in the file."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message, problems or [], code="policy_invalid")


class ConfigurationError(CustosError):
    """Settings, key file or database are not usable as configured."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="configuration_error")


class PermissionDenied(CustosError):
    def __init__(self, message: str = "You do not have permission to do this.") -> None:
        super().__init__(message, code="permission_denied")


class Unauthenticated(CustosError):
    """No valid login: no session or token, or an expired or revoked one, or wrong credentials."""

    def __init__(self, message: str = "Log in first.") -> None:
        super().__init__(message, code="unauthenticated")


class SecondFactorRequired(PermissionDenied):
    """Logged in with a password only; Art. 32 asks for a second factor before any permission is used."""

    def __init__(self, message: str = "Enrol and use an authenticator app (TOTP) first.") -> None:
        super().__init__(message)
        self.code = "mfa_required"


class PasswordChangeRequired(PermissionDenied):
    def __init__(self, message: str = "Change the one-time password first.") -> None:
        super().__init__(message)
        self.code = "password_change_required"


class CsrfRejected(PermissionDenied):
    def __init__(self, message: str = "The X-CSRF-Token header is missing or does not match this session.") -> None:
        super().__init__(message)
        self.code = "csrf_rejected"


class SystemFailed(CustosError):
    """A connected system could not be read or changed; whatever was begun in it was rolled back."""

    def __init__(self, message: str, *, system: str, table: str | None = None) -> None:
        super().__init__(message, code="system_failed")
        self.system = system
        self.table = table
