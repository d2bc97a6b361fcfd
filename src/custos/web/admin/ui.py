"""The admin UI's per-app parts: the Jinja environment, the wording of each language, and whether htmx is there.

Built by `make_ui()` when an app is created (never at import) and kept on `app.state`, so each app — and each
test — has its own, and templates are compiled once per app rather than per request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import Request
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from custos.jurisdiction import format_in
from custos.web.admin.texts import LANGUAGES, Language, Words, load_words

STATIC = Path(__file__).resolve().parent.parent / "static"
HTMX = STATIC / "vendor" / "htmx.min.js"


@dataclass(frozen=True)
class AdminUI:
    environment: Environment
    words: dict[Language, Words]
    # htmx is built from the npm package by `make assets`; without it the pages work as plain HTML forms.
    htmx: bool
    # Every time on a page is shown on the organisation's clock with its offset (`when`, the `when` filter).
    when: Callable[[datetime | None], str]

    def render(self, template: str, **values: object) -> str:
        return self.environment.get_template(template).render(**values)


def shown_in(zone: ZoneInfo) -> Callable[[datetime | None], str]:
    """Times on the organisation's clock with the offset (`2024-03-25 00:30 +01:00`): what staff there read on
    their own clock, and still one unambiguous instant for staff elsewhere."""

    def when(value: datetime | None) -> str:
        return format_in(value, zone) if value is not None else "–"

    return when


def day(value: date | datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value is not None else "–"


def make_ui(zone: ZoneInfo) -> AdminUI:
    environment = Environment(
        loader=PackageLoader("custos.web.admin", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    when = shown_in(zone)
    environment.filters["when"] = when
    environment.filters["day"] = day
    words = {lang: load_words(lang) for lang in LANGUAGES}
    return AdminUI(environment=environment, words=words, htmx=HTMX.is_file(), when=when)


def ui_of(request: Request) -> AdminUI | None:
    ui = getattr(request.app.state, "admin_ui", None)
    return ui if isinstance(ui, AdminUI) else None
