"""The notice as HTML pages (Jinja2, autoescaped) and as Markdown.

The Jinja environment is built per call by `make_environment`, never at import, and holds no state between
renders; a notice page is small, so compiling its few templates each time costs little.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib import resources
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from custos.notice.diff import NoticeDiff
from custos.notice.document import Document
from custos.notice.markdown import markdown_block, markdown_spans, markdown_text
from custos.notice.wording import LANGUAGES, Wording, load_wording
from custos.policy import Version


@dataclass(frozen=True)
class Page:
    """Where a page sits: its path (for the language links) and whether it is a file standing on its own.

    A standalone page (written by `custos policy render`) carries its stylesheet and has no site links.
    """

    path: str = "/privacy"
    query: dict[str, str] = field(default_factory=dict)
    standalone: bool = False
    # The languages the notice is published in (the policy's `organisation.languages`): the page links to these.
    languages: tuple[str, ...] = LANGUAGES

    def href(self, lang: str) -> str:
        return f"{self.path}?{urlencode({**self.query, 'lang': lang})}"


@dataclass(frozen=True)
class VersionRow:
    version: Version
    current: bool
    href: str | None  # None when the text of the version is not on file


def make_environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("custos.notice", "templates"),
        # HTML templates (*.html.j2) are escaped; Markdown templates escape through the `md*` filters.
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["md"] = markdown_text
    environment.filters["md_spans"] = markdown_spans
    environment.filters["md_block"] = markdown_block
    return environment


def _context(words: Wording, page: Page, title: str) -> dict[str, object]:
    others = [load_wording(lang) for lang in page.languages if lang != words.lang]
    return {
        "w": words,
        "lang": words.lang,
        "title": title,
        "page": page,
        "alternates": [(lang, page.href(lang)) for lang in page.languages],
        "others": [(other.lang, page.href(other.lang), other.text("page.language_name")) for other in others],
        "css": _stylesheet() if page.standalone else None,
    }


def _stylesheet() -> str:
    return (resources.files("custos.web") / "static" / "custos.css").read_text("utf-8")


def render_notice_html(
    document: Document, words: Wording, page: Page | None = None, *, current: dt.date | None = None
) -> str:
    """`current` is given when the document is an earlier version, to point readers at the one in force."""
    page = page or Page()
    template = make_environment().get_template("notice.html.j2")
    return template.render(_context(words, page, document.title), doc=document, current=current)


def render_notice_markdown(document: Document, words: Wording) -> str:
    return make_environment().get_template("notice.md.j2").render(doc=document, w=words)


def render_versions_html(title: str, rows: list[VersionRow], words: Wording, page: Page) -> str:
    template = make_environment().get_template("versions.html.j2")
    return template.render(_context(words, page, title), rows=rows)


def render_diff_html(title: str, diff: NoticeDiff | None, versions: list[dt.date], words: Wording, page: Page) -> str:
    """`diff` is None when no earlier version's text is on file; `versions` are those that can be compared."""
    template = make_environment().get_template("diff.html.j2")
    return template.render(_context(words, page, title), diff=diff, versions=versions)
