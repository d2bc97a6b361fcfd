"""The sections per category of people: what we keep about you, why, on what basis, and for how long."""

from __future__ import annotations

from custos.notice import phrases
from custos.notice.content import ActivityFacts, Notice, SubjectFacts
from custos.notice.document import (
    Block,
    BulletList,
    FactList,
    Paragraph,
    Section,
    Span,
    Spans,
    Subheading,
    fill,
    text,
)
from custos.notice.wording import Wording


def subject_sections(notice: Notice, words: Wording) -> list[Section]:
    return [_subject(subject, words) for subject in notice.subjects]


def _subject(subject: SubjectFacts, words: Wording) -> Section:
    lang = words.lang
    blocks: list[Block] = [Paragraph(text(subject.category.description.in_(lang)))]
    for facts in subject.activities:
        # One heading per activity only where there are several, so a single one does not repeat the title.
        if len(subject.activities) > 1:
            blocks.append(Subheading(facts.activity.name.in_(lang)))
        blocks.append(_activity(facts, subject, words))
    return Section(f"subject-{subject.category.id}", subject.category.name.in_(lang), tuple(blocks))


def _activity(facts: ActivityFacts, subject: SubjectFacts, words: Wording) -> FactList:
    activity = facts.activity
    lang = words.lang
    kinds = [subject.category.kind]
    rows: list[tuple[str, list[str] | list[Spans]]] = [
        (words("subject.purpose"), [activity.purpose.in_(lang)]),
        (words("subject.data"), [category.description.in_(lang) for category in facts.data]),
    ]
    if activity.uses:
        uses = words.join([phrases.use(words, slug) for slug in activity.uses])
        rows.append((words("subject.uses"), [words("subject.uses_text", uses=uses)]))
    rows.append((words("subject.basis"), phrases.legal_basis(words, activity)))
    how_long = [phrases.retention(words, activity.retention, kinds)]
    if activity.retention.reason:
        how_long.append(words("subject.reason", reason=activity.retention.reason.in_(lang)))
    how_long += [minimum for category in facts.data if (minimum := phrases.legal_minimum(words, category, kinds))]
    rows.append((words("subject.retention"), how_long))
    if activity.source:
        rows.append((words("subject.source"), [activity.source.in_(lang)]))
    if activity.transparency:
        rows.append((words("subject.transparency"), [activity.transparency.in_(lang)]))
    if activity.recipients:
        rows.append((words("subject.recipients"), [phrases.recipient(words, r) for r in activity.recipients]))
    if activity.transfers:
        rows.append((words("subject.transfers"), [phrases.transfer(words, t) for t in activity.transfers]))
    if facts.erasure is not None:
        link = Span(facts.erasure.label, facts.erasure.href)
        rows.append((words("subject.erasure"), [fill(words.text("subject.erasure_text"), address=link)]))
    if activity.notes:
        rows.append((words("subject.notes"), [activity.notes.in_(lang)]))
    return FactList(tuple((term, tuple(_spans(v) for v in values)) for term, values in rows))


def _spans(value: str | Spans) -> Spans:
    return text(value) if isinstance(value, str) else value


def recipients_section(notice: Notice, words: Wording) -> Section:
    org = notice.organisation.name
    blocks: list[Block] = []
    if notice.recipients:
        blocks.append(Paragraph(text(words("recipients.intro", organisation=org))))
        blocks.append(BulletList(tuple(text(phrases.recipient(words, r)) for r in notice.recipients)))
    else:
        blocks.append(Paragraph(text(words("recipients.none", organisation=org))))
    if notice.transfers:
        blocks.append(Paragraph(text(words("recipients.transfers_intro"))))
        blocks.append(BulletList(tuple(text(phrases.transfer(words, t)) for t in notice.transfers)))
    else:
        blocks.append(Paragraph(text(words("recipients.no_transfers"))))
    return Section("recipients", words("recipients.heading"), tuple(blocks))
