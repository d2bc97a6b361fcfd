"""The cookie banner in a real browser, on the demo page with its fake analytics script: nothing runs before a
choice or after a refusal (LEK 2022:482 9 kap. 28 §; Planet49 C-673/17), it runs after consent, and stops with
its cookies deleted after withdrawal through the floating icon (GDPR Art. 7(3)); GPC means no; the keyboard
alone is enough; and the banner asks again after 365 days or a new policy version."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from custos.clock import FixedClock
from custos.policy import Version
from custos.runtime import Runtime

TIMEOUT_MS = 15_000
ANALYTICS = ("/consent/demo/collect", "/consent/demo/fake-analytics.js")


class Watch:
    """Every request the page makes to the fake analytics, and its cookies."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.hits: list[str] = []
        page.on(
            "request",
            lambda request: self.hits.append(request.url) if any(a in request.url for a in ANALYTICS) else None,
        )

    def cookies(self) -> list[str]:
        return sorted(c["name"] for c in self.page.context.cookies() if c["name"].startswith("_pk_"))

    def record(self, button: Locator) -> None:
        """Click a choice and wait until the server has recorded it, so a following navigation cannot race it."""
        with self.page.expect_response(lambda r: r.url.endswith("/consent/records") and r.request.method == "POST"):
            button.click()

    def open(self, server: str, lang: str = "en") -> None:
        self.page.goto(f"{server}/consent/demo?lang={lang}")
        self.page.wait_for_load_state("networkidle")


@pytest.fixture
def watch(page: Page) -> Watch:
    return Watch(page)


def _dialog(page: Page) -> Locator:
    return page.get_by_role("dialog", name="Cookies on this website")


def _records(page: Page, server: str) -> list[tuple[str, str]]:
    items = page.request.get(f"{server}/consent/records/me").json()["items"]
    return [(item["kind"], item["method"]) for item in items]


def test_nothing_runs_before_a_choice_nor_after_reject(watch: Watch, live_server: str) -> None:
    watch.open(live_server)
    dialog = _dialog(watch.page)
    expect(dialog).to_be_visible()
    # Purposes on the first layer, and Reject as prominent as Accept.
    expect(dialog.get_by_role("listitem").filter(has_text="Lets Elastx see how the website is used")).to_be_visible()
    reject, accept = dialog.get_by_role("button", name="Reject all"), dialog.get_by_role("button", name="Accept all")
    style = "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).fontSize, e.offsetHeight]"
    assert reject.evaluate(style) == accept.evaluate(style)
    assert (watch.hits, watch.cookies()) == ([], [])
    watch.record(reject)
    expect(dialog).to_have_count(0)
    watch.open(live_server)  # the choice holds on the next page
    expect(_dialog(watch.page)).to_have_count(0)
    expect(watch.page.get_by_role("button", name="Cookie settings")).to_be_visible()
    assert (watch.hits, watch.cookies()) == ([], [])
    assert _records(watch.page, live_server) == [("refusal", "banner")]


def test_accept_runs_analytics_and_the_icon_withdraws_it(watch: Watch, live_server: str) -> None:
    watch.open(live_server)
    assert watch.hits == []
    watch.record(_dialog(watch.page).get_by_role("button", name="Accept all"))
    expect(watch.page.locator("#analytics-status")).to_contain_text("running")
    assert watch.cookies() == ["_pk_id.demo.1", "_pk_ses.demo.1"]
    assert any("/collect" in url for url in watch.hits)
    icon = watch.page.get_by_role("button", name="Cookie settings")
    expect(icon).to_have_css("left", "16px")  # lower left, as the policy says
    icon.click()
    watch.record(_dialog(watch.page).get_by_role("button", name="Withdraw my consent"))
    expect(watch.page.locator("#analytics-status")).to_have_text("Fake analytics stopped.")
    assert watch.cookies() == []
    seen = len(watch.hits)
    watch.open(live_server)
    assert len(watch.hits) == seen  # nothing loaded or sent again
    assert watch.cookies() == []
    assert _records(watch.page, live_server) == [("consent", "banner"), ("withdrawal", "settings")]


def test_settings_has_nothing_pre_ticked(watch: Watch, live_server: str) -> None:
    watch.open(live_server)
    dialog = _dialog(watch.page)
    dialog.get_by_role("button", name="Settings").click()
    toggle = dialog.get_by_role("switch", name="Analytics")
    expect(toggle).not_to_be_checked()
    toggle.check()
    watch.record(dialog.get_by_role("button", name="Save my choices"))
    expect(watch.page.locator("#analytics-status")).to_contain_text("running")
    assert _records(watch.page, live_server) == [("consent", "settings")]


@pytest.fixture
def gpc_page(browser: Browser) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(locale="en-GB", extra_http_headers={"Sec-GPC": "1"})
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script("Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})")
    yield context.new_page()
    context.close()


def test_global_privacy_control_means_no(gpc_page: Page, live_server: str) -> None:
    watch = Watch(gpc_page)
    watch.open(live_server)
    expect(gpc_page.get_by_role("button", name="Cookie settings")).to_be_visible()
    expect(_dialog(gpc_page)).to_have_count(0)
    assert (watch.hits, watch.cookies()) == ([], [])
    assert _records(gpc_page, live_server) == [("refusal", "gpc")]
    # The visitor may still opt in by their own act.
    gpc_page.get_by_role("button", name="Cookie settings").click()
    expect(_dialog(gpc_page).get_by_text("Global Privacy Control")).to_be_visible()


def test_keyboard_only(watch: Watch, live_server: str) -> None:
    page = watch.page
    watch.open(live_server)
    dialog = _dialog(page)
    expect(dialog).to_be_focused()
    page.keyboard.press("Escape")  # closes without consenting
    expect(dialog).to_have_count(0)
    assert _records(page, live_server) == []
    icon = page.get_by_role("button", name="Cookie settings")
    expect(icon).to_be_focused()
    page.keyboard.press("Enter")
    expect(_dialog(page)).to_be_visible()
    names = []
    for _ in range(12):  # focus stays inside the dialog however far one tabs
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('[role=dialog]') !== null")
        names.append(page.evaluate("document.activeElement.textContent"))
    assert "Reject all" in names
    for _ in range(12):
        if page.evaluate("document.activeElement.textContent") == "Reject all":
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(_dialog(page)).to_have_count(0)
    expect(icon).to_be_focused()  # focus is given back
    assert _records(page, live_server) == [("refusal", "banner")]
    assert (watch.hits, watch.cookies()) == ([], [])


def test_asked_again_after_365_days(watch: Watch, live_server: str, clock: FixedClock) -> None:
    watch.open(live_server)
    watch.record(_dialog(watch.page).get_by_role("button", name="Accept all"))
    expect(watch.page.locator("#analytics-status")).to_contain_text("running")
    clock.advance(timedelta(days=364))
    watch.open(live_server)
    expect(watch.page.locator("#analytics-status")).to_contain_text("running")
    expect(_dialog(watch.page)).to_have_count(0)
    clock.advance(timedelta(days=2))
    seen = len(watch.hits)
    watch.open(live_server)
    expect(_dialog(watch.page)).to_be_visible()
    assert len(watch.hits) == seen  # the expired consent runs nothing
    assert watch.cookies() == []  # and its cookies are cleared


def test_asked_again_after_a_new_policy_version(watch: Watch, live_server: str, runtime: Runtime) -> None:
    watch.open(live_server)
    watch.record(_dialog(watch.page).get_by_role("button", name="Reject all"))
    watch.open(live_server)
    expect(_dialog(watch.page)).to_have_count(0)
    runtime.policy = runtime.policy.model_copy(
        update={"versions": [*runtime.policy.versions, Version(date=dt.date(2026, 11, 1))]}
    )
    watch.open(live_server)
    expect(_dialog(watch.page)).to_be_visible()


def test_swedish_page_gets_a_swedish_banner(watch: Watch, live_server: str) -> None:
    watch.open(live_server, "sv")
    dialog = watch.page.get_by_role("dialog", name="Cookies på webbplatsen")
    expect(dialog.get_by_role("button", name="Avvisa alla")).to_be_visible()
    expect(dialog.get_by_role("link", name="Integritetspolicy")).to_have_attribute("href", "/privacy?lang=sv")
