"""Browser tests: Debian's chromium, driven by Playwright, against a real uvicorn server on a free localhost
port, serving the test's own database with the fixed clock (so TOTP codes are computed at that time).

Without /usr/bin/chromium the tests skip, saying so; in CI (CI=true) they fail instead, because there the
project's own setup (`make test`) installs it.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from custos.app import create_app
from custos.runtime import Runtime
from custos.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is not installed (apt-get install chromium, or `make test` installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    launched = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def live_server(settings: Settings, runtime: Runtime) -> Iterator[str]:
    """The app's base URL, served from a real socket in a thread with the test's runtime (database, keys,
    fixed clock)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # the kernel picks a free port; handing the bound socket over avoids a race
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings, runtime=runtime), log_level="warning", ws="none", http="h11", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _page(browser: Browser, *, javascript: bool) -> Iterator[Page]:
    context = browser.new_context(
        locale="en-GB", viewport={"width": 1280, "height": 900}, java_script_enabled=javascript
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) and page."""
    yield from _page(browser, javascript=True)


@pytest.fixture
def page_without_javascript(browser: Browser) -> Iterator[Page]:
    yield from _page(browser, javascript=False)
