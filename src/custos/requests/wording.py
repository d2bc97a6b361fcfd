"""The wording of answers to requests (`texts/<lang>.yaml`) and of the notice they reuse, read once per language.

Built on first use, never at import. The files are packaged and never change while Custos runs; parsing them
for every letter or package would cost more than writing the package itself.
"""

from __future__ import annotations

from functools import cache

from custos.errors import InvalidInput, Problem
from custos.notice.wording import Wording, load_wording
from custos.texts import Texts, read_texts


def request_texts(lang: str) -> Texts:
    """The wording of letters, packages and the Art. 15 information in `lang` (en or sv)."""
    if lang not in ("en", "sv"):
        raise InvalidInput(
            f"answers to requests are not available in {lang!r}",
            [Problem(location="lang", message=f"unknown language {lang!r}", hint="use en or sv")],
        )
    return _request_texts(lang)


def notice_wording(lang: str) -> Wording:
    """The notice's wording, whose sentences the Art. 15 information reuses."""
    request_texts(lang)  # the same refusal of an unknown language
    return _notice_wording(lang)


@cache
def _request_texts(lang: str) -> Texts:
    return Texts("sv" if lang == "sv" else "en", read_texts("custos.requests", lang))


@cache
def _notice_wording(lang: str) -> Wording:
    return load_wording(lang)
