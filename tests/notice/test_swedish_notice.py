"""The Swedish notice speaks Swedish throughout: the policy's own texts (the introduction, each category of
people, each purpose, what is kept and why) come in their Swedish wording, not the English of the file."""

from __future__ import annotations

import re

from custos.notice import load_wording, notice_document, render_notice_html, render_notice_markdown
from custos.policy import Policy
from custos.policy.check import _notice_texts
from notice.test_seed_facts import html_text


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _translated(policy: Policy) -> list[tuple[str, str, str]]:
    """(place, English, Swedish) of every notice text the policy gives per language."""
    return [
        (named, _normal(value.in_("en")), _normal(value.in_("sv")))
        for _, named, value in _notice_texts(policy)
        if value is not None and value.translated
    ]


def test_the_example_gives_every_notice_text_in_swedish(example_policy: Policy) -> None:
    written_once = [
        named for _, named, value in _notice_texts(example_policy) if value is not None and not value.translated
    ]
    assert written_once == []
    assert len(_translated(example_policy)) > 30


def test_the_swedish_notice_has_no_english_section_text(example_policy: Policy) -> None:
    words = load_wording("sv")
    document = notice_document(example_policy, words)
    html = _normal(html_text(render_notice_html(document, words)))
    markdown = _normal(render_notice_markdown(document, words))
    for named, english, swedish in _translated(example_policy):
        # A short name ("Partner") may sit inside a longer Swedish text; whole English sentences must not.
        if len(english) > 12:
            assert english not in html, f"{named} is in English in the Swedish notice"
        assert swedish in html, f"{named} is missing from the Swedish notice"
        assert swedish.split(" ")[0] in markdown
    for heading in ("Kundkontakter", "Presumtiva kunder", "Anställda", "Besökare på webbplatsen"):
        assert _normal(heading) in html
    assert _normal("Det är viktigt för oss på Elastx att du känner dig trygg") in html
    assert _normal("För att kunna komma i kontakt med kundens utsedda kontaktpersoner") in html


def test_the_english_notice_keeps_the_english_texts(example_policy: Policy) -> None:
    words = load_wording("en")
    html = _normal(html_text(render_notice_html(notice_document(example_policy, words), words)))
    for named, english, swedish in _translated(example_policy):
        assert english in html, f"{named} is missing from the English notice"
        if len(swedish) > 12 and swedish not in english:  # a Swedish law keeps its name in English
            assert swedish not in html, f"{named} is in Swedish in the English notice"
