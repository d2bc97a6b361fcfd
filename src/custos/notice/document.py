"""A notice in one language: sections of blocks of text spans.

Both renderers (HTML, Markdown) and the diff read this one form, so a fact is worded once per language and
every output says the same thing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from string import Formatter
from typing import ClassVar


@dataclass(frozen=True)
class Span:
    """A run of text; a link when `href` is set, a code name (e.g. a cookie name) when `code` is set."""

    text: str
    href: str | None = None
    code: bool = False


Spans = tuple[Span, ...]


@dataclass(frozen=True)
class Paragraph:
    kind: ClassVar[str] = "paragraph"
    spans: Spans


@dataclass(frozen=True)
class Subheading:
    kind: ClassVar[str] = "subheading"
    text: str


@dataclass(frozen=True)
class BulletList:
    kind: ClassVar[str] = "bullets"
    items: tuple[Spans, ...]


@dataclass(frozen=True)
class FactList:
    """Term → one or more values; a definition list in HTML."""

    kind: ClassVar[str] = "facts"
    rows: tuple[tuple[str, tuple[Spans, ...]], ...]


@dataclass(frozen=True)
class Table:
    """The first cell of each row names the row (a row header for screen readers)."""

    kind: ClassVar[str] = "table"
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[Spans, ...], ...]


Block = Paragraph | Subheading | BulletList | FactList | Table


@dataclass(frozen=True)
class Section:
    key: str  # stable across versions and languages; the diff pairs sections by it
    heading: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    lang: str
    title: str
    version: dt.date
    previous: tuple[dt.date, ...]  # newest first
    sections: tuple[Section, ...]


def text(value: str) -> Spans:
    return (Span(value),)


def plain(spans: Spans) -> str:
    return "".join(span.text for span in spans)


def fill(template: str, **values: str | Span | Spans) -> Spans:
    """Fill `{name}` fields with text or spans, so a link can sit inside a translated sentence."""
    spans: list[Span] = []
    for literal, field, _, _ in Formatter().parse(template):
        if literal:
            spans.append(Span(literal))
        if field is None:
            continue
        value = values[field]
        if isinstance(value, str):
            spans.append(Span(value))
        elif isinstance(value, Span):
            spans.append(value)
        else:
            spans.extend(value)
    return tuple(spans)


def block_lines(block: Block) -> list[str]:
    """The block as lines of plain text, one per fact; what the diff compares."""
    if isinstance(block, Paragraph):
        return [plain(block.spans)]
    if isinstance(block, Subheading):
        return [block.text]
    if isinstance(block, BulletList):
        return [plain(item) for item in block.items]
    if isinstance(block, FactList):
        return [f"{term}: {plain(value)}" for term, values in block.rows for value in values]
    return [" | ".join(plain(cell) for cell in row) for row in block.rows]


def section_lines(section: Section) -> list[str]:
    return [line for block in section.blocks for line in block_lines(block)]
