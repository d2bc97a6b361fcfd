"""Word the facts of a notice in one language: `compose(build_notice(policy), load_wording("sv"))`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from custos.notice._cookies import cookie_sections
from custos.notice._subjects import recipients_section, subject_sections
from custos.notice.content import ContactPoint, Notice
from custos.notice.document import (
    Block,
    BulletList,
    Document,
    FactList,
    Paragraph,
    Section,
    Span,
    Spans,
    fill,
    text,
)
from custos.notice.wording import Wording
from custos.policy import LegalBasis

# Where a version's own page is, or None where it has none (its text was not archived, or no web site).
VersionLink = Callable[[dt.date], str | None]


def compose(notice: Notice, words: Wording, version_link: VersionLink | None = None) -> Document:
    link = version_link or (lambda _: None)
    sections = [
        _about(notice, words),
        _controller(notice, words),
        _contact(notice, words),
        *subject_sections(notice, words),
        recipients_section(notice, words),
        _processor(notice, words),
        _rights(notice, words),
        _security(notice, words),
        _incidents(notice, words),
        *cookie_sections(notice, words),
        _versions(notice, words, link),
    ]
    return Document(
        lang=words.lang,
        title=words("page.title", organisation=notice.organisation.name),
        version=notice.version,
        previous=notice.previous,
        sections=tuple(section for section in sections if section is not None),
    )


def _link(point: ContactPoint) -> Span:
    return Span(point.label, point.href)


def _about(notice: Notice, words: Wording) -> Section | None:
    if notice.preamble is None:
        return None
    return Section("about", words("about.heading"), (Paragraph(text(notice.preamble.in_(words.lang))),))


def _controller(notice: Notice, words: Wording) -> Section:
    org = notice.organisation
    dp = notice.data_protection
    rows: list[tuple[str, tuple[Spans, ...]]] = [(words("controller.name"), (text(org.name),))]
    if org.org_number:
        rows.append((words("controller.org_number"), (text(org.org_number),)))
    # Only an Art. 37 officer may be called a data protection officer; otherwise the role is named as given.
    term = words("controller.dpo") if dp.formal_dpo else words("controller.dp_person")
    rows.append((term, (text(dp.person.in_(words.lang)),)))
    if dp.supported_by:
        rows.append((words("controller.supported_by"), (text(dp.supported_by.in_(words.lang)),)))
    blocks: tuple[Block, ...] = (
        Paragraph(text(words("controller.text", organisation=org.name))),
        FactList(tuple(rows)),
    )
    return Section("controller", words("controller.heading"), blocks)


def _contact(notice: Notice, words: Wording) -> Section:
    rows = tuple((words(f"contact.channels.{p.channel.value}"), ((_link(p),),)) for p in notice.contacts)
    blocks = (Paragraph(text(words("contact.intro"))), FactList(rows))
    return Section("contact", words("contact.heading"), blocks)


def _processor(notice: Notice, words: Wording) -> Section | None:
    if not notice.processor:
        return None
    org = notice.organisation.name
    blocks: list[Block] = []
    for service in notice.processor:
        blocks.append(Paragraph(text(words("processor.text", organisation=org, service=service.service))))
        blocks.append(Paragraph(text(service.description.in_(words.lang))))
    return Section("processor", words("processor.heading"), tuple(blocks))


def _rights(notice: Notice, words: Wording) -> Section:
    erasure_points = notice.erasure_points or (notice.privacy,)
    addresses: list[Span] = []
    for index, point in enumerate(erasure_points):
        if index:
            last = index == len(erasure_points) - 1
            addresses.append(Span(f" {words.text('grammar.or')} " if last else ", "))
        addresses.append(_link(point))
    items = [
        text(words("rights.access")),
        text(words("rights.rectification")),
        fill(words.text("rights.erasure"), addresses=tuple(addresses)),
        text(words("rights.restriction")),
        text(words("rights.objection")),
        text(words("rights.portability")),
    ]
    if LegalBasis.CONSENT in notice.bases:
        items.append(text(words("rights.withdraw")))
    blocks = (
        Paragraph(text(words("rights.intro"))),
        BulletList(tuple(items)),
        Paragraph(fill(words.text("rights.how"), privacy=_link(notice.privacy))),
        Paragraph(text(words("rights.complaint", authority=notice.organisation.supervisory_authority))),
    )
    return Section("rights", words("rights.heading"), blocks)


def _security(notice: Notice, words: Wording) -> Section:
    org = notice.organisation.name
    blocks: list[Block] = [Paragraph(text(words("security.intro", organisation=org)))]
    if notice.security:
        blocks.append(BulletList(tuple(text(measure.description.in_(words.lang)) for measure in notice.security)))
    # Custos itself scopes staff access per system and environment and logs every access (Art. 25, 32).
    blocks.append(Paragraph(text(words("security.access"))))
    return Section("security", words("security.heading"), tuple(blocks))


def _incidents(notice: Notice, words: Wording) -> Section:
    org = notice.organisation
    paragraph = words("incidents.text", organisation=org.name, authority=org.supervisory_authority)
    blocks: list[Block] = [Paragraph(text(paragraph))]
    if notice.processor:
        blocks.append(Paragraph(text(words("incidents.processor"))))
    return Section("incidents", words("incidents.heading"), tuple(blocks))


def _versions(notice: Notice, words: Wording, link: Callable[[dt.date], str | None]) -> Section:
    blocks: list[Block] = [Paragraph(text(words("versions.current", date=notice.version.isoformat())))]
    if notice.previous:
        dates: list[Span] = []
        for index, day in enumerate(notice.previous):
            if index:
                dates.append(Span(", "))
            dates.append(Span(day.isoformat(), link(day)))
        key = "versions.previous_one" if len(notice.previous) == 1 else "versions.previous_many"
        blocks.append(Paragraph(fill(words.text(key), dates=tuple(dates))))
    else:
        blocks.append(Paragraph(text(words("versions.first"))))
    return Section("versions", words("versions.heading"), tuple(blocks))
