"""Small helpers for the admin's HTML forms: reading a field, and showing what was wrong next to it."""

from __future__ import annotations

from dataclasses import dataclass, field

from custos.errors import CustosError, Problem
from custos.web.errors import status_for


@dataclass(frozen=True)
class FormError:
    """A refused form: the message for the summary at the top, and a message per field (by input name)."""

    message: str
    fields: dict[str, str] = field(default_factory=dict)
    status: int = 422

    @staticmethod
    def of(exc: CustosError, inputs: dict[str, str] | None = None) -> FormError:
        """`inputs` renames a service's field to the form's input where they differ (`expires_at` → `expires_on`)."""
        return FormError(exc.message, _by_field(exc.problems, inputs or {}), status_for(exc))


def _by_field(problems: list[Problem], inputs: dict[str, str]) -> dict[str, str]:
    # A problem's location is the service's field name ("scope", "new_password"); most inputs use the same names.
    found: dict[str, str] = {}
    for problem in problems:
        name = problem.location.rsplit(".", 1)[-1]
        name = inputs.get(name, name)
        text = f"{problem.message} ({problem.hint})" if problem.hint else problem.message
        found[name] = f"{found[name]}; {text}" if name in found else text
    return found


def text(form: dict[str, str], name: str, *, limit: int = 300) -> str:
    """A field's value, trimmed; over-long input is cut rather than passed on (every real value is short)."""
    return form.get(name, "").strip()[:limit]
