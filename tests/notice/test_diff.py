"""What changed between two versions: section by section, with the changed words marked."""

from __future__ import annotations

import datetime as dt

from custos.notice import Page, load_wording, notice_diff, render_diff_html
from custos.notice.diff import Segment
from custos.policy import Policy

OLD, NEW = dt.date(2023, 10, 3), dt.date(2024, 3, 25)


def test_a_changed_period_is_marked_word_by_word(archived_policy: Policy) -> None:
    diff = notice_diff(archived_policy, load_wording("en"), OLD, NEW)
    customers = next(s for s in diff.sections if s.key == "subject-customer_contact")
    assert customers.status == "changed"
    changed = [line for line in customers.lines if line.kind == "changed"]
    assert len(changed) == 1
    assert Segment("del", "five") in changed[0].segments
    assert Segment("ins", "ten") in changed[0].segments


def test_sections_and_rows_added_since_are_reported(archived_policy: Policy) -> None:
    diff = notice_diff(archived_policy, load_wording("en"), OLD, NEW)
    assert diff.headings("added") == ["Partner contacts"]
    assert "Cookies" in diff.headings("changed")
    cookies = next(s for s in diff.sections if s.key == "cookies")
    assert [line.segments[0].text for line in cookies.lines if line.kind == "added"] == [
        "_pk_ses.* | Piwik PRO (privacy information from Piwik PRO) | Groups page views of one visit into a "
        "session. | Analytics | First party (this website) | Persistent cookie: kept for 30 minutes"
    ]
    assert "Your rights" in diff.headings("same")


def test_the_same_version_has_no_changes(archived_policy: Policy) -> None:
    diff = notice_diff(archived_policy, load_wording("en"), NEW, NEW)
    assert not diff.changed


def test_the_diff_page_marks_insertions_and_deletions(archived_policy: Policy) -> None:
    words = load_wording("en")
    diff = notice_diff(archived_policy, words, OLD, NEW)
    html = render_diff_html("Changes", diff, [OLD, NEW], words, Page("/privacy/diff"))
    assert "<del>five</del><ins>ten</ins>" in html
    assert '<h2 id="diff-subject-partner_contact"><ins>Partner contacts</ins></h2>' in html
    assert "New sections: Partner contacts." in html
    assert "From the version of 2023-10-03 to the version of 2024-03-25." in html
