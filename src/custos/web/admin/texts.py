"""The admin pages' wording in each language, read from `texts/<lang>.yaml` once per app.

Keys are dotted (`login.heading`); values may hold `{placeholders}`. A test checks that every language has
the same keys and placeholders, so a page never falls back to another language half-way.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from typing import Any, Literal, get_args

import yaml

Language = Literal["en", "sv"]
LANGUAGES: tuple[Language, ...] = get_args(Language)


class Words:
    """One language's texts: `words("staff.count", n=3)`."""

    def __init__(self, lang: Language, texts: Mapping[str, Any]) -> None:
        self.lang = lang
        self._texts = texts

    def text(self, key: str) -> str:
        node: Any = self._texts
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise KeyError(f"no text {key!r} in the {self.lang} wording of the admin pages")
            node = node[part]
        if not isinstance(node, str):
            raise KeyError(f"the {self.lang} admin wording has a section, not a text, at {key!r}")
        return node

    def has(self, key: str) -> bool:
        try:
            self.text(key)
        except KeyError:
            return False
        return True

    def __call__(self, key: str, **values: object) -> str:
        return self.text(key).format(**values) if values else self.text(key)


def load_words(lang: Language) -> Words:
    source = (resources.files("custos.web.admin") / "texts" / f"{lang}.yaml").read_text("utf-8")
    texts = yaml.safe_load(source)
    assert isinstance(texts, dict)  # a packaged file; a test reads every key of both languages
    return Words(lang, texts)


def as_language(value: str | None, default: Language) -> Language:
    return next((lang for lang in LANGUAGES if lang == value), default)
