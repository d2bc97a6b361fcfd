"""Each example policy renders its own notice, in the languages it publishes and no other, with its own law.

The Swedish example publishes in English and Swedish; the Irish one in English only. Nothing in the Irish
notice is Swedish: its periods come from its own statutes, and its pages link to no Swedish version.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from custos.app import create_app
from custos.cli.policy_render import add_render_command
from custos.clock import FixedClock
from custos.notice import load_wording, notice_document, render_notice_markdown
from example_policies import EXAMPLES, example, example_runtime

# What each notice must say, in English: its organisation, a retention period from its own law.
SAYS = {
    "elastx": ["# Privacy notice – Elastx", "Preskriptionslag (1981:130)", "ten years"],
    "corrib": ["# Privacy notice – Corrib Analytics Ltd", "Statute of Limitations 1957", "six years"],
}


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_each_example_renders_its_notice_in_every_language_it_publishes(name: str) -> None:
    policy = example(name)
    for lang in policy.jurisdiction.languages:
        words = load_wording(lang)
        text = render_notice_markdown(notice_document(policy, words), words)
        assert policy.organisation.name in text
        assert "{" not in text
    english = render_notice_markdown(notice_document(policy, load_wording("en")), load_wording("en"))
    for phrase in SAYS[name]:
        assert phrase in english, phrase


def test_the_irish_notice_names_no_swedish_law() -> None:
    words = load_wording("en")
    text = render_notice_markdown(notice_document(example("corrib"), words), words)
    for swedish in ("Sweden", "Swedish", "IMY", "Bokföringslagen", "Skatteverket", "kap."):
        assert swedish not in text, swedish


def _render_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _group() -> None:
        """Stands in for the `policy` sub-app."""

    add_render_command(app)
    return app


def test_the_cli_refuses_a_language_the_policy_does_not_publish() -> None:
    result = CliRunner().invoke(_render_app(), ["render", str(EXAMPLES["corrib"]), "--lang", "sv", "--format", "md"])
    assert result.exit_code != 0
    assert "publishes its notice in en" in result.output
    plain = CliRunner().invoke(_render_app(), ["render", str(EXAMPLES["corrib"]), "--format", "md"])
    assert plain.exit_code == 0, plain.output
    assert plain.output.startswith("# Privacy notice – Corrib Analytics Ltd")


@pytest.fixture
def irish_site(database_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[TestClient]:
    with (
        example_runtime("corrib", database_url, tmp_path, clock) as runtime,
        TestClient(create_app(runtime.settings, runtime=runtime)) as client,
    ):
        yield client


def test_the_irish_site_offers_only_english(irish_site: TestClient) -> None:
    page = irish_site.get("/privacy")
    assert page.status_code == 200
    assert "<h1>Privacy notice – Corrib Analytics Ltd</h1>" in page.text
    assert 'hreflang="sv"' not in page.text
    asked = irish_site.get("/privacy", params={"lang": "sv"})  # a Swedish link followed to an English-only site
    assert asked.headers["content-language"] == "en"
    assert '<html lang="en">' in asked.text
    rights = irish_site.get("/rights", params={"lang": "sv"})
    assert rights.status_code == 200
    assert rights.headers["content-language"] == "en"
    assert "På svenska" not in rights.text
