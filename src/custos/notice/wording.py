"""Custos's fixed wording of the notice in each language, read from `texts/<lang>.yaml`.

The sentences are Custos's own; what they say about a given organisation comes from its policy. Grammar that
a YAML file cannot hold (numbers in words, lists joined with "and") lives here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, cast

from custos.errors import InvalidInput, Problem
from custos.policy import Duration
from custos.texts import LANGUAGES, Language, Texts, read_texts

__all__ = ["LANGUAGES", "Language", "Wording", "load_wording"]

# Calendar units in the order they are said: "one year and six months".
_UNITS = ("years", "months", "weeks", "days", "hours", "minutes", "seconds")


class Wording(Texts):
    """The texts of one language; `words("rights.heading")` or `words("page.version", date=...)`."""

    what = "the notice"

    def __call__(self, key: str, **values: object) -> str:
        return self.text(key).format(**values)

    def join(self, items: Sequence[str], conjunction: Literal["and", "or"] = "and") -> str:
        """'a', 'a and b', 'a, b and c' (no serial comma: it is not used in Swedish, and optional in English)."""
        if len(items) <= 1:
            return "".join(items)
        return f"{', '.join(items[:-1])} {self.text('grammar.' + conjunction)} {items[-1]}"

    def number(self, n: int) -> str:
        """Small numbers in words, larger in digits: 'ten', but '365'."""
        words = cast(list[str], self._texts["grammar"]["numbers"])
        return words[n] if 0 <= n < len(words) else str(n)

    def count(self, n: int, unit: str) -> str:
        """'one year', 'ten years'; Swedish 'ett år', 'en månad': the form for one carries the gender."""
        forms = self._texts["grammar"]["units"][unit]
        return str(forms["one"]) if n == 1 else str(forms["other"]).format(n=self.number(n))

    def duration(self, period: Duration) -> str:
        parts = [self.count(getattr(period, unit), unit) for unit in _UNITS if getattr(period, unit)]
        return self.join(parts) if parts else self.count(0, "days")


def load_wording(lang: str) -> Wording:
    if lang not in LANGUAGES:
        raise InvalidInput(
            f"the notice is not available in {lang!r}",
            [Problem(location="lang", message=f"unknown language {lang!r}", hint="use en or sv")],
        )
    return Wording(lang, read_texts("custos.notice", lang))
