"""Pydantic validation errors rewritten for the person editing the policy file: what, where, how to fix."""

from __future__ import annotations

import re
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from custos.errors import Problem
from custos.policy.findings import Loc, choice_hint, closest, format_path
from custos.policy.locator import NodeLocator

_PATTERN_HINTS = {
    "^[A-Z]{2}$": "use a two-letter ISO 3166-1 country code in capitals, such as SE",
}
_ID_HINT = (
    "use lowercase letters, digits, '-' and '_', starting with a letter (dots separate the parts of a data category id)"
)
_TYPE_HINTS = {
    "date_type": "write the date as YYYY-MM-DD",
    "date_parsing": "write the date as YYYY-MM-DD",
    "date_from_datetime_parsing": "write the date as YYYY-MM-DD",
    "url_parsing": "write a full address such as https://support.example.com",
    "url_scheme": "write a full address such as https://support.example.com",
    "bool_type": "write true or false",
    "bool_parsing": "write true or false",
    "list_type": "write a list, one `- item` per line",
    "too_short": "add at least one entry",
    "string_too_short": "write some text, or remove the key if it is optional",
    "model_type": "write a mapping of `key: value` lines here",
    "model_attributes_type": "write a mapping of `key: value` lines here",
}


def problem_from_error(error: ErrorDetails, root: type[BaseModel], locator: NodeLocator) -> Problem:
    kind = error["type"]
    loc: Loc = tuple(error["loc"])
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    # A validator may fault a key that is absent (a default that cannot be derived): name the key to add.
    written, line = locator.locate(loc, missing_key=kind == "missing" or bool(ctx.get("missing_key")))
    message, hint = error["msg"], ctx.get("hint")
    if kind == "missing":
        name = str(loc[-1])
        description = _field_description(root, loc)
        message = f"required key {name!r} is missing"
        hint = f"add `{name}:`" + (f" — {description}" if description else "")
    elif kind == "extra_forbidden":
        key = str(loc[-1])
        model = _model_at(root, loc[:-1])
        allowed = _keys(model) if model is not None else []
        message = f"unknown key {key!r}"
        hint = choice_hint(key, allowed, "allowed keys here")
    elif kind in ("enum", "literal_error"):
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        message = f"{error['input']!r} is not one of {', '.join(choices)}"
        suggestion = closest(str(error["input"]), choices)
        hint = f"did you mean {suggestion!r}?" if suggestion else f"choose one of {', '.join(choices)}"
    elif kind == "string_pattern_mismatch":
        message = f"{error['input']!r} is not written as expected here"
        hint = _PATTERN_HINTS.get(str(ctx.get("pattern")), _ID_HINT)
    elif kind == "value_error" and "email" in message:
        hint = "write a full email address such as privacy@example.com"
    elif hint is None:
        hint = _TYPE_HINTS.get(kind)
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    return Problem(location=format_path(written), line=line, message=message, hint=hint)


def _field_description(root: type[BaseModel], loc: Loc) -> str | None:
    model = _model_at(root, loc[:-1])
    if model is None:
        return None
    for name, field in model.model_fields.items():
        if loc[-1] in (name, field.alias):
            return field.description
    return None


def _keys(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def _model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping at `loc`, following fields and list items."""
    current: Any = root
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            if get_origin(current) is list:
                current = get_args(current)[0]
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            for name, field in current.model_fields.items():
                if part in (name, field.alias):
                    current = field.annotation
                    break
            # else: a union member name pydantic put in the path; stay on the same model
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """Strip `Annotated[...]` and `X | None` down to the type that validates the value."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation
