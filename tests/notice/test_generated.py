"""The notice is generated from the policy: change the file and the text changes with it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from custos.notice import load_wording, notice_document, render_notice_html, render_notice_markdown
from custos.notice.document import section_lines
from custos.policy import load_policy

Edit = Callable[[dict[str, Any]], None]


def activity(data: dict[str, Any], activity_id: str) -> dict[str, Any]:
    return next(item for item in data["activities"] if item["id"] == activity_id)


def _section_text(path: Path, key: str, lang: str = "en") -> str:
    document = notice_document(load_policy(path), load_wording(lang))
    section = next(s for s in document.sections if s.key == key)
    return "\n".join(section_lines(section))


def test_a_changed_retention_period_changes_the_notice(edited_policy: Callable[[Edit], Path]) -> None:
    def six_years(data: dict[str, Any]) -> None:
        activity(data, "customer-contacts")["retention"]["then"] = "P6Y"

    path = edited_policy(six_years)
    customers = _section_text(path, "subject-customer_contact")
    assert "deleted at most six years after it stops being one" in customers
    assert "ten years" not in customers
    # Only the changed rule moved: suppliers still read ten years.
    assert "ten years after it stops being one" in _section_text(path, "subject-supplier_contact")
    assert "raderas senast sex år" in _section_text(path, "subject-customer_contact", "sv")


def test_a_changed_retention_shape_is_worded_from_the_rule(edited_policy: Callable[[Edit], Path]) -> None:
    def from_collection(data: dict[str, Any]) -> None:
        activity(data, "prospects")["retention"] = {"keep": "P18M", "from": "collected"}

    text = _section_text(edited_policy(from_collection), "subject-prospect")
    assert "Deleted at most eighteen months after it was collected." in text


def test_changed_contacts_consent_and_cookies_change_every_page(edited_policy: Callable[[Edit], Path]) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["organisation"]["name"] = "Nimbus"
        data["organisation"]["contacts"]["privacy"] = "dpo@nimbus.example"
        data["consent"]["validity"] = "P180D"
        data["consent"]["withdraw_icon"] = "bottom-right"
        data["cookies"][0]["lifetime"] = "P6M"

    path = edited_policy(edit)
    words = load_wording("en")
    document = notice_document(load_policy(path), words)
    html = render_notice_html(document, words)
    markdown = render_notice_markdown(document, words)
    for output in (html, markdown):
        assert "Privacy notice – Nimbus" in output
        assert "dpo@nimbus.example" in output
        assert "privacy@elastx.com" not in output
        assert "valid for at most 180 days" in output
        assert "in the lower right corner" in output
        assert "Persistent cookie: kept for six months" in output


def test_policy_text_is_never_markup(edited_policy: Callable[[Edit], Path]) -> None:
    def hostile(data: dict[str, Any]) -> None:
        activity(data, "prospects")["purpose"] = "<script>alert(1)</script> [click](javascript:x) | *bold*"

    words = load_wording("en")
    document = notice_document(load_policy(edited_policy(hostile)), words)
    html = render_notice_html(document, words)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    markdown = render_notice_markdown(document, words)
    assert r"\<script\>alert(1)\</script\> \[click\](javascript:x) \| \*bold\*" in markdown
