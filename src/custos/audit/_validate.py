"""What `record` accepts. The log must never hold a data subject's personal data (Art. 5(1)(c) minimisation,
Art. 17): its events are kept for years and cannot be edited, so an email written into one could never be
erased. People are named only by their opaque `ref`; details are short ids, counts, flags and field names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from custos.audit.actions import is_known_action, is_valid_action
from custos.errors import InvalidInput, Problem

MAX_DETAILS = 20
MAX_LIST = 50
MAX_TEXT = 200
_INT_RANGE = range(-(2**63), 2**63)  # what both backends' JSON round-trips exactly

_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TARGET = re.compile(r"[a-z][a-z_]*:[A-Za-z0-9_.:-]{1,80}")
_OUTCOME = re.compile(r"[a-z][a-z_]{0,19}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Personal data that most often slips into a log line by mistake: an email address or a phone number.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+\d[\d\s().-]{5,}")

Scalar = str | int | bool | None


def check_event(
    action: str,
    subject: str | None,
    target: str | None,
    purpose: str | None,
    reference: str | None,
    outcome: str,
    details: Mapping[str, object] | None,
) -> dict[str, object]:
    """Raise `InvalidInput` listing every problem; return the details as a plain dict."""
    problems: list[Problem] = []
    if not is_valid_action(action):
        problems.append(Problem("action", f"{action!r} is not a dotted name like 'person.read'"))
    elif not is_known_action(action):
        problems.append(
            Problem("action", f"{action!r} is not a known audit action", hint="add it to custos.audit.actions.Action")
        )
    if subject is not None and not _UUID.fullmatch(subject):
        problems.append(Problem("subject", "must be a person's ref (a lower-case UUID), never a name or address"))
    if target is not None and not _TARGET.fullmatch(target):
        problems.append(Problem("target", f"{target!r} is not of the form 'kind:id', e.g. 'staff:3'"))
    for name, value, limit in (("purpose", purpose, MAX_TEXT), ("reference", reference, 100)):
        if value is not None:
            problems += _text_problems(name, value, limit)
    if not _OUTCOME.fullmatch(outcome):
        problems.append(Problem("outcome", f"{outcome!r} is not a short lower-case word such as 'ok' or 'denied'"))
    clean = _details(details or {}, problems)
    if problems:
        raise InvalidInput("audit event refused", problems)
    return clean


def _details(details: Mapping[str, object], problems: list[Problem]) -> dict[str, object]:
    if len(details) > MAX_DETAILS:
        problems.append(Problem("details", f"at most {MAX_DETAILS} entries"))
    clean: dict[str, object] = {}
    for key, value in details.items():
        where = f"details.{key}"
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            problems.append(Problem(where, "keys are short snake_case names"))
        elif isinstance(value, list | tuple):
            if len(value) > MAX_LIST:
                problems.append(Problem(where, f"at most {MAX_LIST} items"))
            for index, item in enumerate(value):
                problems += _scalar_problems(f"{where}[{index}]", item)
            clean[key] = list(value)
        else:
            problems += _scalar_problems(where, value)
            clean[key] = value
    return clean


def _scalar_problems(where: str, value: object) -> list[Problem]:
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [] if value in _INT_RANGE else [Problem(where, "integer out of the 64-bit range")]
    if isinstance(value, str):
        return _text_problems(where, value, MAX_TEXT)
    # Floats do not round-trip identically through every backend's JSON, and nested objects invite copying
    # whole records (with their personal data) into the log.
    return [Problem(where, f"{type(value).__name__} is not allowed; use a string, integer, boolean or a list")]


def _text_problems(where: str, value: str, limit: int) -> list[Problem]:
    if len(value) > limit:
        return [Problem(where, f"longer than {limit} characters")]
    if _CONTROL.search(value):
        return [Problem(where, "contains control characters")]
    if _EMAIL.search(value) or _PHONE.search(value):
        return [
            Problem(
                where,
                "looks like an email address or phone number",
                hint="audit events must not hold personal data; name the person by subject=<ref>",
            )
        ]
    return []
