"""An automated accessibility check of the cookie banner: axe-core (from npm, `make assets` / `npm ci`) run in
chromium on the demo page with the banner's first layer open, then its settings layer, in both languages; no
violation of impact serious or critical is allowed (WCAG 2.1 AA is what EN 301 549 asks of public sites).

Without node_modules/axe-core the test skips, saying so; in CI (CI=true) it fails instead, because there
`npm ci` installs the devDependencies."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TIMEOUT_MS = 15_000
BLOCKING = {"serious", "critical"}
DIALOG = {"en": ("Cookies on this website", "Settings"), "sv": ("Cookies på webbplatsen", "Inställningar")}


@pytest.fixture
def axe_page(browser: Browser) -> Iterator[Page]:
    if not AXE.is_file():
        message = f"{AXE} is missing: run `npm ci` (or `make assets`) to install axe-core"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # The demo page's CSP rightly refuses an injected script; axe is the test's tool, not the page's.
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def _serious(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',"
        " 'best-practice']}})"
    )
    assert result["passes"], "axe checked nothing"
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_the_banner_has_no_serious_accessibility_violations(axe_page: Page, live_server: str, lang: str) -> None:
    name, settings = DIALOG[lang]
    axe_page.goto(f"{live_server}/consent/demo?lang={lang}")
    dialog = axe_page.get_by_role("dialog", name=name)
    expect(dialog).to_be_visible()
    assert _serious(axe_page) == []
    dialog.get_by_role("button", name=settings).click()
    expect(dialog.get_by_role("switch")).to_have_count(1)  # the example policy's one category: analytics
    assert _serious(axe_page) == []
