"""The public privacy pages: the notice in force, every version, what changed, in English and Swedish."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from custos.app import create_app
from custos.policy import load_policy
from custos.runtime import Runtime
from custos.settings import Settings
from custos.web import privacy

HTML = {"accept": "text/html"}
JSON = {"accept": "application/json"}


def _with_privacy(app: FastAPI) -> FastAPI:
    # Until app.py includes the router (its owner wires it), include it here; never twice.
    if not any(getattr(route, "path", None) == "/privacy" for route in app.routes):
        app.include_router(privacy.router)
    return app


@pytest.fixture
def pages(settings: Settings, runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(_with_privacy(create_app(settings, runtime=runtime))) as client:
        yield client


@pytest.fixture
def swedish_pages(settings: Settings, runtime: Runtime) -> Iterator[TestClient]:
    swedish = dataclasses.replace(settings, language="sv")
    app = create_app(swedish, runtime=dataclasses.replace(runtime, settings=swedish))
    with TestClient(_with_privacy(app)) as client:
        yield client


def _archive_previous_version(example: Path, folder: Path) -> Path:
    """A copy of the example whose 2023-10-03 text is on file and said five years for customer contacts."""
    current: dict[str, Any] = yaml.safe_load(example.read_text(encoding="utf-8"))
    older = copy.deepcopy(current)
    next(a for a in older["activities"] if a["id"] == "customer-contacts")["retention"]["then"] = "P5Y"
    older["versions"] = [{"date": "2023-10-03"}]
    (folder / "2023-10-03.yaml").write_text(yaml.safe_dump(older, sort_keys=False), encoding="utf-8")
    for version in current["versions"]:
        if str(version["date"]) == "2023-10-03":
            version["snapshot"] = "2023-10-03.yaml"
    path = folder / "policy.yaml"
    path.write_text(yaml.safe_dump(current, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def archived_pages(settings: Settings, runtime: Runtime, tmp_path: Path) -> Iterator[TestClient]:
    policy = load_policy(_archive_previous_version(settings.policy_path, tmp_path))
    app = create_app(settings, runtime=dataclasses.replace(runtime, policy=policy))
    with TestClient(_with_privacy(app)) as client:
        yield client


def test_the_notice_in_force_is_an_accessible_page(pages: TestClient) -> None:
    response = pages.get("/privacy")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-language"] == "en"
    page = response.text
    assert '<html lang="en">' in page
    assert '<link rel="alternate" hreflang="sv" href="/privacy?lang=sv">' in page
    assert '<a href="/privacy?lang=sv" hreflang="sv" lang="sv">Svenska</a>' in page
    assert '<link rel="stylesheet" href="/static/custos.css">' in page
    assert "<h1>Privacy notice – Elastx</h1>" in page
    assert '<th scope="col">Cookie</th>' in page
    assert '<th scope="row"><code>_pk_id.*</code></th>' in page
    assert "<script" not in page  # works without JavaScript
    assert '<a href="mailto:support@elastx.se">support@elastx.se</a>' in page
    assert "deleted at most ten years after it stops being one" in page


def test_the_stylesheet_it_links_is_served(pages: TestClient) -> None:
    assert pages.get("/static/custos.css").status_code == 200


def test_language_comes_from_the_query_else_the_setting(pages: TestClient, swedish_pages: TestClient) -> None:
    swedish = pages.get("/privacy", params={"lang": "sv"})
    assert '<html lang="sv">' in swedish.text
    assert "<h1>Integritetspolicy – Elastx</h1>" in swedish.text
    assert swedish.headers["content-language"] == "sv"
    by_setting = swedish_pages.get("/privacy")
    assert '<html lang="sv">' in by_setting.text
    assert '<html lang="en">' in swedish_pages.get("/privacy", params={"lang": "en"}).text


def test_an_unknown_language_is_a_clear_error(pages: TestClient) -> None:
    response = pages.get("/privacy", params={"lang": "de"}, headers=JSON)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


def test_the_notice_as_markdown(pages: TestClient) -> None:
    response = pages.get("/privacy.md")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    assert response.text.startswith("# Privacy notice – Elastx")


def test_the_versions_page_lists_every_version(pages: TestClient) -> None:
    response = pages.get("/privacy/versions")
    assert response.status_code == 200
    page = response.text
    assert '<th scope="row"><time datetime="2024-03-25">2024-03-25</time></th>' in page
    assert '<th scope="row"><time datetime="2023-10-03">2023-10-03</time></th>' in page
    assert '<a href="/privacy/versions/2024-03-25?lang=en">' in page
    # The example policy has no archived text for 2023-10-03, and the page says so instead of a dead link.
    assert "The text of this version is not on file." in page
    assert "/privacy/versions/2023-10-03?" not in page


def test_a_version_by_its_date(pages: TestClient) -> None:
    response = pages.get("/privacy/versions/2024-03-25")
    assert response.status_code == 200
    assert "Version of 2024-03-25" in response.text


def test_an_earlier_version_on_file_is_shown_as_it_read(archived_pages: TestClient) -> None:
    response = archived_pages.get("/privacy/versions/2023-10-03")
    assert response.status_code == 200
    assert "This is the version of 2023-10-03. It is no longer in force." in response.text
    assert "deleted at most five years after it stops being one" in response.text
    current = archived_pages.get("/privacy").text
    assert '<a href="/privacy/versions/2023-10-03?lang=en">2023-10-03</a>' in current


def test_an_unknown_version_is_not_found(pages: TestClient) -> None:
    page = pages.get("/privacy/versions/2022-01-01", headers=HTML)
    assert page.status_code == 404
    assert "<h1>404</h1>" in page.text
    assert "There is no version of the privacy notice dated 2022-01-01" in page.text
    api = pages.get("/privacy/versions/2022-01-01", headers=JSON)
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"


def test_a_version_whose_text_was_not_archived_is_not_found(pages: TestClient) -> None:
    response = pages.get("/privacy/versions/2023-10-03", headers=JSON)
    assert response.status_code == 404
    assert "not archived" in response.json()["error"]["message"]


@pytest.mark.parametrize("bad", ["2024-13-01", "yesterday", "20240325"])
def test_a_malformed_date_is_a_clear_error(pages: TestClient, bad: str) -> None:
    response = pages.get(f"/privacy/versions/{bad}", headers=JSON)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["problems"][0]["location"] == "path.version"
    assert error["problems"][0]["hint"] == "write it as YYYY-MM-DD"
    assert pages.get(f"/privacy/versions/{bad}", headers=HTML).status_code == 422


def test_the_diff_compares_the_previous_version_with_the_current_one(archived_pages: TestClient) -> None:
    response = archived_pages.get("/privacy/diff")
    assert response.status_code == 200
    page = response.text
    assert "From the version of 2023-10-03 to the version of 2024-03-25." in page
    assert "<del>five</del><ins>ten</ins>" in page
    assert "Changed: Customer contacts and Versions of this notice." in page
    assert '<form method="get" action="/privacy/diff"' in page  # choosing versions works without scripts


def test_the_diff_takes_explicit_versions(archived_pages: TestClient) -> None:
    response = archived_pages.get("/privacy/diff", params={"from": "2024-03-25", "to": "2023-10-03"})
    assert "<del>ten</del><ins>five</ins>" in response.text
    same = archived_pages.get("/privacy/diff", params={"from": "2024-03-25", "to": "2024-03-25"})
    assert "The two versions say the same." in same.text


def test_the_diff_without_an_earlier_text_says_so(pages: TestClient) -> None:
    response = pages.get("/privacy/diff", params={"lang": "sv"})
    assert response.status_code == 200
    assert "Texten till ingen tidigare version finns sparad" in response.text


def test_the_diff_refuses_unknown_and_malformed_versions(pages: TestClient) -> None:
    assert pages.get("/privacy/diff", params={"from": "2023-10-03"}).status_code == 404
    malformed = pages.get("/privacy/diff", params={"from": "03/10/2023"}, headers=JSON)
    assert malformed.status_code == 422
    assert malformed.json()["error"]["problems"][0]["location"] == "query.from"
