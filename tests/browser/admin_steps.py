"""Steps the admin browser tests share: logging in, watching the console, keeping screenshots."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from custos.clock import FixedClock


def log_in(page: Page, server: str, member: Any, clock: FixedClock, path: str = "/admin") -> None:
    """Open `path`, get sent to the login page, and log in with password and the TOTP code of the fixed time."""
    page.goto(server + path)
    expect(page).to_have_url(re.compile(r"/admin/login\?next="))
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(member.password)
    page.get_by_label("Code from your authenticator app").fill(member.code(clock.now()))
    page.get_by_role("button", name="Log in").click()


def watch_console(page: Page) -> list[str]:
    """The page's console errors, as they happen (e.g. the content security policy refusing something)."""
    errors: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        # The site has no favicon yet; the browser's own request for one is not something a page did.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"{message.text} at {message.location.get('url')}")

    page.on("console", keep)
    return errors


def screenshot(page: Page, name: str) -> None:
    """Set CUSTOS_SCREENSHOTS=/some/dir to keep pictures of the pages for a look at the layout."""
    folder = os.environ.get("CUSTOS_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = {"serious", "critical"}


def axe_or_skip() -> Path:
    """axe-core from node_modules (`npm ci`, run by `make test`); a skip without it, a failure in CI."""
    if not AXE.is_file():
        message = f"{AXE} is missing: run `npm ci` (or `make assets`) to install axe-core"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return AXE


def serious_violations(page: Page, tags: tuple[str, ...] = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")) -> list[str]:
    """Run axe-core on the page (the context needs bypass_csp) and name each serious or critical violation."""
    page.add_script_tag(path=str(axe_or_skip()))
    result: dict[str, Any] = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", list(tags)
    )
    assert result["passes"], "axe checked nothing"
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
        if v["impact"] in SERIOUS
    ]
