"""What the web pages and the CLI ask of the notice: a version's text, in a language, as a document or a diff.

Plain functions on a Policy; no HTTP or CLI types, so `/privacy` and `custos policy render` say the same.
"""

from __future__ import annotations

import datetime as dt

from custos.errors import NotFound
from custos.notice.compose import VersionLink, compose
from custos.notice.content import build_notice
from custos.notice.diff import NoticeDiff, diff_documents
from custos.notice.document import Document
from custos.notice.wording import Wording
from custos.policy import Policy


def version_policy(policy: Policy, version: dt.date | None) -> Policy:
    """The policy as it read in `version` (the current one when None), or NotFound saying which exist."""
    if version is None or version == policy.current_version:
        return policy
    known = [v.date for v in policy.versions_sorted]
    if version not in known:
        listed = ", ".join(day.isoformat() for day in known)
        raise NotFound(f"There is no version of the privacy notice dated {version}; the versions are {listed}.")
    return policy.snapshot_for(version)  # NotFound when that version's text was not archived


def readable_versions(policy: Policy) -> list[dt.date]:
    """Versions whose text is on file, oldest first: the current one and every archived snapshot."""
    return sorted({policy.current_version, *policy.archived_versions})


def notice_document(
    policy: Policy, words: Wording, version: dt.date | None = None, version_link: VersionLink | None = None
) -> Document:
    return compose(build_notice(version_policy(policy, version)), words, version_link)


def default_comparison(policy: Policy) -> tuple[dt.date, dt.date] | None:
    """The newest earlier version on file against the current one; None when no earlier text is on file."""
    readable = readable_versions(policy)
    return (readable[-2], readable[-1]) if len(readable) > 1 else None


def notice_diff(policy: Policy, words: Wording, old: dt.date, new: dt.date) -> NoticeDiff:
    return diff_documents(notice_document(policy, words, old), notice_document(policy, words, new))
