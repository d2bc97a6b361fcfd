"""A readable diff between two versions of the notice, section by section, down to the changed words.

People informed under one version must be able to see what changed in the next (Art. 12(1), 13(3));
the diff compares the worded notices, so it shows what a reader sees, not the policy file's structure.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from custos.notice.document import Document, Section, section_lines

# Lines at least this similar are shown as one changed line with word marks, not as a removal and an addition.
_SAME_LINE_RATIO = 0.5
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")

SegmentKind = Literal["same", "ins", "del"]
LineKind = Literal["same", "added", "removed", "changed"]
SectionStatus = Literal["same", "added", "removed", "changed"]


@dataclass(frozen=True)
class Segment:
    kind: SegmentKind
    text: str


@dataclass(frozen=True)
class Line:
    kind: LineKind
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class SectionDiff:
    key: str
    heading: str
    status: SectionStatus
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class NoticeDiff:
    old: dt.date
    new: dt.date
    sections: tuple[SectionDiff, ...]

    def headings(self, status: SectionStatus) -> list[str]:
        return [section.heading for section in self.sections if section.status == status]

    @property
    def changed(self) -> bool:
        return any(section.status != "same" for section in self.sections)


def diff_documents(old: Document, new: Document) -> NoticeDiff:
    """Sections are paired by key, in the new version's order, with removed ones where they used to be."""
    old_by_key = {section.key: section for section in old.sections}
    new_keys = {section.key for section in new.sections}
    sections: list[SectionDiff] = []
    for section in old.sections:
        if section.key not in new_keys:
            sections.append(_whole(section, "removed"))
    for section in new.sections:
        before = old_by_key.get(section.key)
        sections.append(_whole(section, "added") if before is None else _section(before, section))
    return NoticeDiff(old.version, new.version, tuple(sections))


def _whole(section: Section, status: Literal["added", "removed"]) -> SectionDiff:
    kind: SegmentKind = "ins" if status == "added" else "del"
    lines = tuple(Line(status, (Segment(kind, line),)) for line in section_lines(section))
    return SectionDiff(section.key, section.heading, status, lines)


def _section(old: Section, new: Section) -> SectionDiff:
    before, after = section_lines(old), section_lines(new)
    lines: list[Line] = []
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            lines += [Line("same", (Segment("same", line),)) for line in before[i1:i2]]
            continue
        removed, added = before[i1:i2], after[j1:j2]
        # Pair lines one to one where they are similar, so a changed period reads as <del>ten</del><ins>five</ins>.
        while removed and added and _similar(removed[0], added[0]):
            lines.append(Line("changed", _words(removed.pop(0), added.pop(0))))
        lines += [Line("removed", (Segment("del", line),)) for line in removed]
        lines += [Line("added", (Segment("ins", line),)) for line in added]
    changed = old.heading != new.heading or any(line.kind != "same" for line in lines)
    return SectionDiff(new.key, new.heading, "changed" if changed else "same", tuple(lines))


def _similar(a: str, b: str) -> bool:
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= _SAME_LINE_RATIO


def _words(old: str, new: str) -> tuple[Segment, ...]:
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    segments: list[Segment] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            segments.append(Segment("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            segments.append(Segment("del", "".join(a[i1:i2])))
        if j2 > j1:
            segments.append(Segment("ins", "".join(b[j1:j2])))
    return tuple(segments)
