"""Custos's fixed wording: per-package `texts/<lang>.yaml` files looked up by dotted keys.

The notice, the admin pages and the consent banner each keep their own files; this is the one reader and the
one look-up they share. Tests check that every language has the same keys and placeholders.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, Literal, get_args

import yaml

Language = Literal["en", "sv"]
LANGUAGES: tuple[Language, ...] = get_args(Language)


def read_texts(package: str, lang: str) -> dict[str, Any]:
    """The parsed `texts/<lang>.yaml` of `package`, with the sections of every `texts/<area>.<lang>.yaml`.

    An area with many words (the requests pages, say) keeps them in a file of its own; a section may live in
    one file only, so two files never quietly override each other.
    """
    folder = resources.files(package) / "texts"
    texts = _parse(folder / f"{lang}.yaml")
    extras = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(f".{lang}.yaml")), key=lambda entry: entry.name
    )
    for extra in extras:
        for section, value in _parse(extra).items():
            if section in texts:
                raise ValueError(f"{package}: the section {section!r} of texts/{extra.name} is also in another file")
            texts[section] = value
    return texts


def _parse(entry: Traversable) -> dict[str, Any]:
    texts = yaml.safe_load(entry.read_text("utf-8"))
    assert isinstance(texts, dict)  # a packaged file; the tests read every key of both languages
    return texts


class Texts:
    """One language's texts; `what` names them in errors ("the notice", "the admin pages")."""

    what = "Custos"

    def __init__(self, lang: Language, texts: Mapping[str, Any]) -> None:
        self.lang = lang
        self._texts = texts

    def text(self, key: str) -> str:
        node: Any = self._texts
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise KeyError(f"no text {key!r} in the {self.lang} wording of {self.what}")
            node = node[part]
        if not isinstance(node, str):
            raise KeyError(f"the {self.lang} wording of {self.what} has a section, not a text, at {key!r}")
        return node

    def optional(self, key: str) -> str | None:
        try:
            return self.text(key)
        except KeyError:
            return None

    def has(self, key: str) -> bool:
        return self.optional(key) is not None
