"""The admin pages' wording in each language, read from `texts/<lang>.yaml` once per app.

Keys are dotted (`login.heading`); values may hold `{placeholders}`. A test checks that every language has
the same keys and placeholders, so a page never falls back to another language half-way.
"""

from __future__ import annotations

from custos.texts import LANGUAGES, Language, Texts, read_texts

__all__ = ["LANGUAGES", "Language", "Words", "as_language", "load_words"]


class Words(Texts):
    """One language's texts: `words("staff.count", n=3)`."""

    what = "the admin pages"

    def __call__(self, key: str, **values: object) -> str:
        return self.text(key).format(**values) if values else self.text(key)


def load_words(lang: Language) -> Words:
    return Words(lang, read_texts("custos.web.admin", lang))


def as_language(value: str | None, default: Language) -> Language:
    return next((lang for lang in LANGUAGES if lang == value), default)
