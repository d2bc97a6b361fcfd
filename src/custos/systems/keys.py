"""How a person is recognised in a customer system: the identity values looked for in its identity columns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from custos.errors import InvalidInput, Problem
from custos.register.identities import IdentityError, normalise_email, normalise_phone

IdentityKind = Literal["email", "phone", "external_id"]


@dataclass(frozen=True)
class SubjectKeys:
    """Normalised identity values: emails lower-cased, phones in E.164, external ids as given."""

    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    external_ids: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, *, emails: tuple[str, ...] | list[str] = (), phones: tuple[str, ...] | list[str] = (),
        external_ids: tuple[str, ...] | list[str] = (), phone_region: str | None = None,
    ) -> SubjectKeys:  # fmt: skip
        """Normalise values as typed by a person; raises InvalidInput naming the value that is not usable.

        A phone number without a country code is read in `phone_region` (the policy's jurisdiction)."""
        problems: list[Problem] = []
        normalised_emails: list[str] = []
        normalised_phones: list[str] = []
        for value in emails:
            try:
                normalised_emails.append(normalise_email(value))
            except IdentityError as exc:
                problems.append(Problem(location="email", message=str(exc)))
        for value in phones:
            try:
                normalised_phones.append(normalise_phone(value, phone_region))
            except IdentityError as exc:
                problems.append(Problem(location="phone", message=str(exc)))
        if problems:
            raise InvalidInput("an identity value is not usable", problems)
        ids = [value.strip() for value in external_ids if value.strip()]
        return cls(_unique(normalised_emails), _unique(normalised_phones), _unique(ids))

    def values(self, kind: IdentityKind) -> tuple[str, ...]:
        if kind == "email":
            return self.emails
        if kind == "phone":
            return self.phones
        return self.external_ids

    def __bool__(self) -> bool:
        return bool(self.emails or self.phones or self.external_ids)


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
