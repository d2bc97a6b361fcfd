"""The public privacy notice: the current version, every earlier one on file, and what changed between them.

Pages work without JavaScript; the language comes from ?lang=, else the installation's setting.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from custos.errors import InvalidInput, Problem
from custos.notice import (
    Page,
    VersionRow,
    Wording,
    default_comparison,
    load_wording,
    notice_diff,
    notice_document,
    readable_versions,
    render_diff_html,
    render_notice_html,
    render_notice_markdown,
    render_versions_html,
)
from custos.notice.compose import VersionLink
from custos.policy import Policy
from custos.web.deps import RuntimeDep

router = APIRouter(tags=["privacy"])

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

LangQuery = Annotated[
    str | None, Query(pattern="^(en|sv)$", description="en or sv, if the policy publishes in it; default: the setting")
]


def _words(lang: str | None, runtime: RuntimeDep) -> Wording:
    """The wording of `lang` when the policy publishes its notice in it, else of the default language: the
    installation's setting if the policy publishes in it, else the policy's first language."""
    published = runtime.policy.jurisdiction.languages
    default = runtime.settings.language if runtime.settings.language in published else published[0]
    return load_wording(lang if lang in published else default)


def _page(runtime: RuntimeDep, path: str, query: dict[str, str] | None = None) -> Page:
    return Page(path, query or {}, languages=runtime.policy.jurisdiction.languages)


def _date(value: str, location: str) -> dt.date:
    """Dates are parsed here, not by FastAPI, so a bad one gets a message saying how to write it."""
    try:
        # fromisoformat alone would also take 20240325 and 2024-W13-1; the pages only ever link YYYY-MM-DD.
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{value!r} is not a date",
            [Problem(location=location, message=f"{value!r} is not a date", hint="write it as YYYY-MM-DD")],
        ) from None


def _version_link(policy: Policy, lang: str) -> VersionLink:
    readable = set(readable_versions(policy))
    return lambda day: f"/privacy/versions/{day}?lang={lang}" if day in readable else None


def _html(body: str, words: Wording) -> HTMLResponse:
    return HTMLResponse(body, headers={"Content-Language": words.lang})


@router.get("/privacy", response_class=HTMLResponse, summary="The privacy notice in force")
def current_notice(runtime: RuntimeDep, lang: LangQuery = None) -> HTMLResponse:
    words = _words(lang, runtime)
    document = notice_document(runtime.policy, words, version_link=_version_link(runtime.policy, words.lang))
    return _html(render_notice_html(document, words, _page(runtime, "/privacy")), words)


@router.get("/privacy.md", summary="The privacy notice in force, as Markdown")
def current_notice_markdown(runtime: RuntimeDep, lang: LangQuery = None) -> Response:
    words = _words(lang, runtime)
    body = render_notice_markdown(notice_document(runtime.policy, words), words)
    return Response(body, media_type="text/markdown; charset=utf-8", headers={"Content-Language": words.lang})


@router.get("/privacy/versions", response_class=HTMLResponse, summary="Every version of the notice")
def versions(runtime: RuntimeDep, lang: LangQuery = None) -> HTMLResponse:
    words = _words(lang, runtime)
    policy = runtime.policy
    readable = set(readable_versions(policy))
    rows = [
        VersionRow(
            version,
            version.date == policy.current_version,
            f"/privacy/versions/{version.date}?lang={words.lang}" if version.date in readable else None,
        )
        for version in reversed(policy.versions_sorted)
    ]
    title = words("versions_page.title", organisation=policy.organisation.name)
    return _html(render_versions_html(title, rows, words, _page(runtime, "/privacy/versions")), words)


@router.get("/privacy/diff", response_class=HTMLResponse, summary="What changed between two versions")
def diff(
    runtime: RuntimeDep,
    lang: LangQuery = None,
    old: Annotated[str | None, Query(alias="from", description="YYYY-MM-DD; default: the previous version")] = None,
    new: Annotated[str | None, Query(alias="to", description="YYYY-MM-DD; default: the current version")] = None,
) -> HTMLResponse:
    words = _words(lang, runtime)
    policy = runtime.policy
    default = default_comparison(policy)
    old_date = _date(old, "query.from") if old else (default[0] if default else None)
    new_date = _date(new, "query.to") if new else policy.current_version
    result = notice_diff(policy, words, old_date, new_date) if old_date is not None else None
    query = {key: value for key, value in (("from", old), ("to", new)) if value}
    page = _page(runtime, "/privacy/diff", query)
    title = words("diff.title", organisation=policy.organisation.name)
    return _html(render_diff_html(title, result, readable_versions(policy), words, page), words)


@router.get("/privacy/versions/{version}", response_class=HTMLResponse, summary="One version of the notice")
def version_notice(
    runtime: RuntimeDep,
    version: Annotated[str, Path(description="the version's date, YYYY-MM-DD")],
    lang: LangQuery = None,
) -> HTMLResponse:
    words = _words(lang, runtime)
    policy = runtime.policy
    day = _date(version, "path.version")
    document = notice_document(policy, words, day, _version_link(policy, words.lang))
    current = policy.current_version if day != policy.current_version else None
    page = _page(runtime, f"/privacy/versions/{day}")
    return _html(render_notice_html(document, words, page, current=current), words)
