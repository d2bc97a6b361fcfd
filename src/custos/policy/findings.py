"""A finding is a problem located by its path in the policy data; the loader adds the line number."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Finding:
    loc: Loc
    message: str
    hint: str | None = None

    @property
    def path(self) -> str:
        return format_path(self.loc)


def format_path(loc: Loc) -> str:
    """`("activities", 1, "retention", "then")` → `activities[1].retention.then`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(top level)"


def closest(word: str, choices: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def choice_hint(word: str, choices: Iterable[str], noun: str) -> str:
    """'did you mean X?' when something is close, and always the list to choose from."""
    options = sorted(set(choices))
    listed = ", ".join(options) if options else "(none defined)"
    suggestion = closest(word, options)
    return (f"did you mean {suggestion!r}? " if suggestion else "") + f"{noun}: {listed}"
