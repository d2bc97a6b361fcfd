"""The privacy notice, generated from the policy: facts → wording (en, sv) → HTML, Markdown and diffs.

Every statement about the organisation comes from its policy file, so a changed policy is a changed notice;
the fixed sentences around those facts are Custos's own, in `texts/<lang>.yaml`.
"""

from custos.notice.content import Notice, build_notice
from custos.notice.diff import NoticeDiff, diff_documents
from custos.notice.document import Document
from custos.notice.render import (
    Page,
    VersionRow,
    render_diff_html,
    render_notice_html,
    render_notice_markdown,
    render_versions_html,
)
from custos.notice.service import (
    default_comparison,
    notice_diff,
    notice_document,
    readable_versions,
    version_policy,
)
from custos.notice.wording import LANGUAGES, Language, Wording, load_wording

__all__ = [
    "LANGUAGES",
    "Document",
    "Language",
    "Notice",
    "NoticeDiff",
    "Page",
    "VersionRow",
    "Wording",
    "build_notice",
    "default_comparison",
    "diff_documents",
    "load_wording",
    "notice_diff",
    "notice_document",
    "readable_versions",
    "render_diff_html",
    "render_notice_html",
    "render_notice_markdown",
    "render_versions_html",
    "version_policy",
]
