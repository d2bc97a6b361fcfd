"""The request form's checks in the visitor's words: every missing or malformed field at once, each with a
sentence saying what to write, shown next to the field and in the summary above the form.

The requests service checks the same things again (it is the rule; `custos.requests.cases.validate`); this is
only how a person on the public page is told, in their language, before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from custos.errors import InvalidInput
from custos.register.identities import IdentityError, normalise, phone_example
from custos.requests.kinds import KINDS
from custos.requests.schemas import MAX_DETAILS

Words = Callable[..., str]

FIELDS = ("kind", "email", "phone", "organisation", "details", "processor_service")
LIMITS = {"email": 320, "phone": 40, "organisation": 200, "details": MAX_DETAILS}


def check(w: Words, form: Mapping[str, str], *, phone_region: str | None, processors: set[str]) -> dict[str, str]:
    """Field → what is wrong with it, in `w`'s language; empty when the form can be sent."""
    found: dict[str, str] = {}
    kind = form.get("kind", "").strip()
    if not kind:
        found["kind"] = w("rights.errors.kind_missing")
    elif kind not in KINDS:
        found["kind"] = w("rights.errors.kind_unknown")
    email = form.get("email", "").strip()
    if not email:
        found["email"] = w("rights.errors.email_missing")
    else:
        try:
            normalise("email", email)
        except IdentityError:
            found["email"] = w("rights.errors.email_invalid")
    phone = form.get("phone", "").strip()
    if phone:
        try:
            normalise("phone", phone, region=phone_region)
        except IdentityError:
            found["phone"] = w("rights.errors.phone_invalid", example=phone_example(phone_region))
    # The kinds whose request means nothing without details (the service refuses them the same way).
    if kind in KINDS and KINDS[kind].details is not None and not form.get("details", "").strip():
        found["details"] = w(f"rights.errors.details_{KINDS[kind].words}")
    service = form.get("processor_service", "").strip()
    if service and service not in processors:
        found["processor_service"] = w("rights.errors.processor_unknown")
    for name, limit in LIMITS.items():
        if name not in found and len(form.get(name, "").strip()) > limit:
            found[name] = w("rights.errors.too_long", n=limit)
    return {name: found[name] for name in FIELDS if name in found}


def from_service(w: Words, exc: InvalidInput) -> dict[str, str]:
    """A refusal the checks above did not foresee, still next to its field and said in words."""
    found: dict[str, str] = {}
    for problem in exc.problems:
        name = problem.location.rsplit(".", 1)[-1]
        name = name if name in FIELDS else "form"
        found.setdefault(name, w("rights.errors.check", reason=problem.message))
    return found
