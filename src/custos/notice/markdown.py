"""Markdown for the notice: escaping, so text from a policy file cannot turn into markup or broken tables."""

from __future__ import annotations

import re

from custos.notice.document import Block, BulletList, FactList, Paragraph, Spans, Subheading

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def markdown_text(value: object) -> str:
    return _SPECIAL.sub(r"\\\1", str(value)).replace("\n", " ")


def markdown_spans(spans: Spans) -> str:
    out = []
    for span in spans:
        if span.code:
            out.append(f"`{span.text.replace('`', '')}`")
        elif span.href:
            out.append(f"[{markdown_text(span.text)}](<{span.href.replace('>', '%3E')}>)")
        else:
            out.append(markdown_text(span.text))
    return "".join(out)


def markdown_block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return markdown_spans(block.spans)
    if isinstance(block, Subheading):
        return f"### {markdown_text(block.text)}"
    if isinstance(block, BulletList):
        return "\n".join(f"- {markdown_spans(item)}" for item in block.items)
    if isinstance(block, FactList):
        lines = []
        for term, values in block.rows:
            lines.append(f"- **{markdown_text(term)}**")
            lines += [f"  - {markdown_spans(value)}" for value in values]
        return "\n".join(lines)
    header = "| " + " | ".join(markdown_text(cell) for cell in block.header) + " |"
    rule = "|" + "---|" * len(block.header)
    rows = ["| " + " | ".join(markdown_spans(cell) for cell in row) + " |" for row in block.rows]
    return "\n".join([f"*{markdown_text(block.caption)}*", "", header, rule, *rows])
