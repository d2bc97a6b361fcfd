"""The admin UI's per-app parts: the Jinja environment, the wording of each language, and whether htmx is there.

Built by `make_ui()` when an app is created (never at import) and kept on `app.state`, so each app — and each
test — has its own, and templates are compiled once per app rather than per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from fastapi import Request
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from custos.web.admin.texts import LANGUAGES, Language, Words, load_words

STATIC = Path(__file__).resolve().parent.parent / "static"
HTMX = STATIC / "vendor" / "htmx.min.js"


@dataclass(frozen=True)
class AdminUI:
    environment: Environment
    words: dict[Language, Words]
    # htmx is built from the npm package by `make assets`; without it the pages work as plain HTML forms.
    htmx: bool

    def render(self, template: str, **values: object) -> str:
        return self.environment.get_template(template).render(**values)


def when(value: datetime | None) -> str:
    """Times in UTC with the zone named: staff in different places read the same instant the same way."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else "–"


def day(value: date | datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value is not None else "–"


def make_ui() -> AdminUI:
    environment = Environment(
        loader=PackageLoader("custos.web.admin", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["when"] = when
    environment.filters["day"] = day
    return AdminUI(environment=environment, words={lang: load_words(lang) for lang in LANGUAGES}, htmx=HTMX.is_file())


def ui_of(request: Request) -> AdminUI | None:
    ui = getattr(request.app.state, "admin_ui", None)
    return ui if isinstance(ui, AdminUI) else None
