"""The banner's adapters in a real browser, on a page of "the organisation's site" (served at the test server's
origin by the browser itself): Google Consent Mode v2 is told "denied" before any tag runs and updated on the
choice; Piwik PRO's consent manager (a fake `ppms` with the documented `ppms.cm.api` commands) gets the
visitor's choice when the policy says to use its consent API; a Swedish page shows the policy's Swedish
category names; and the banner works from a listed site on another origin."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from custos.policy.cookies import ConsentAdapters, PiwikProMode
from custos.runtime import Runtime

SITE = "/site/index.html"

# Stands for gtag.js/GTM: keeps what the dataLayer held when the tag ran, then configures as Google's snippet does.
FAKE_TAG = """
window.seenByTag = JSON.parse(JSON.stringify(window.dataLayer.map(function (a) { return Array.from(a); })));
gtag("js", new Date(0));
gtag("config", "G-TEST");
"""

# Piwik PRO's consent manager as its JavaScript API documents it: getComplianceTypes, getComplianceSettings
# and setComplianceSettings with {consents: {type: {status: 0|1}}}; what it holds survives a reload, as
# Piwik PRO's own cookie would.
FAKE_PPMS = """
window.ppmsSet = [];
window.ppms = {cm: {api: function (command, a, b) {
  var held = JSON.parse(localStorage.getItem("ppms") || '{"consents": {}}');
  if (command === "getComplianceTypes") a(["analytics", "remarketing"]);
  else if (command === "getComplianceSettings") a(held);
  else if (command === "setComplianceSettings") {
    window.ppmsSet.push(a);
    localStorage.setItem("ppms", JSON.stringify(a));
    b();
  }
}}};
"""


def _site(page: Page, server: str, head: str, lang: str = "en") -> None:
    """Serve the site's page and its tags from the test server's origin, as a site proxying /consent/ would."""
    scripts = {"/site/tag.js": FAKE_TAG, "/site/ppms.js": FAKE_PPMS}
    html = f'<!doctype html><html lang="{lang}"><head><title>Site</title>{head}</head><body><h1>Site</h1>'
    html += '<script src="/consent/banner.js"></script></body></html>'

    def fulfil(route: Route) -> None:
        path = route.request.url.removeprefix(server)
        if path == SITE:
            route.fulfill(body=html, content_type="text/html; charset=utf-8")
        else:
            route.fulfill(body=scripts[path], content_type="text/javascript")

    page.route(f"{server}/site/**", fulfil)


def _open(page: Page, server: str) -> None:
    page.goto(server + SITE)
    page.wait_for_load_state("networkidle")


def _record(page: Page, name: str) -> None:
    with page.expect_response(lambda r: r.url.endswith("/consent/records") and r.request.method == "POST"):
        page.get_by_role("dialog").get_by_role("button", name=name).click()


def _consent_calls(page: Page) -> list[list[Any]]:
    data: list[list[Any]] = page.evaluate("window.dataLayer.map(function (a) { return Array.from(a); })")
    return [entry for entry in data if entry[0] == "consent"]


DENIED = {
    "ad_storage": "denied",
    "ad_user_data": "denied",
    "ad_personalization": "denied",
    "analytics_storage": "denied",
}


def test_google_consent_mode_is_denied_before_any_tag_and_updated_on_the_choice(page: Page, live_server: str) -> None:
    # The order the site must use (docs/consent.md): consent-default.js first, then Google's tags.
    _site(page, live_server, '<script src="/consent/consent-default.js"></script><script src="/site/tag.js"></script>')
    _open(page, live_server)
    expect(page.get_by_role("dialog")).to_be_visible()
    seen = page.evaluate("window.seenByTag")
    assert seen == [["consent", "default", {**DENIED, "wait_for_update": 500}]]  # and nothing before it
    # Before the choice nothing is granted.
    assert all(call[1] == "default" or set(call[2].values()) == {"denied"} for call in _consent_calls(page))
    _record(page, "Accept all")
    *_, update = _consent_calls(page)
    assert update == ["consent", "update", {**DENIED, "analytics_storage": "granted"}]
    # A returning visitor's choice is applied again on the next page, after the default.
    _open(page, live_server)
    calls = _consent_calls(page)
    assert calls[0][1] == "default"
    assert calls[-1] == ["consent", "update", {**DENIED, "analytics_storage": "granted"}]


def test_rejecting_keeps_google_consent_mode_denied(page: Page, live_server: str) -> None:
    _site(page, live_server, '<script src="/consent/consent-default.js"></script><script src="/site/tag.js"></script>')
    _open(page, live_server)
    _record(page, "Reject all")
    assert _consent_calls(page)[-1] == ["consent", "update", DENIED]


def _piwik_consent_api(runtime: Runtime) -> None:
    consent = runtime.policy.consent
    assert consent is not None
    adapters = ConsentAdapters(piwik_pro=PiwikProMode.CONSENT_API)
    runtime.policy = runtime.policy.model_copy(update={"consent": consent.model_copy(update={"adapters": adapters})})


def _ppms_set(page: Page) -> list[dict[str, Any]]:
    return json.loads(page.evaluate("JSON.stringify(window.ppmsSet)"))  # type: ignore[no-any-return]


def _ppms_set_once_called(page: Page) -> list[dict[str, Any]]:
    # The banner passes a choice on when the server's answer has been handled, a moment after the response
    # `_record` waits for; seen as an empty list in a full run on a loaded machine.
    page.wait_for_function("window.ppmsSet && window.ppmsSet.length > 0")
    return _ppms_set(page)


def test_piwik_pro_consent_api_gets_each_choice(page: Page, live_server: str, runtime: Runtime) -> None:
    _piwik_consent_api(runtime)
    _site(page, live_server, '<script src="/site/ppms.js"></script>')
    _open(page, live_server)
    expect(page.get_by_role("dialog")).to_be_visible()
    assert _ppms_set(page) == []  # no decision is passed on before the visitor makes one
    _record(page, "Accept all")
    # Only the consent types its setup uses that map to the policy's categories (no marketing here).
    assert _ppms_set_once_called(page) == [{"consents": {"analytics": {"status": 1}}}]
    _open(page, live_server)
    expect(page.get_by_role("button", name="Cookie settings")).to_be_visible()
    assert _ppms_set(page) == []  # it already holds the choice: no second call, no extra page view
    page.get_by_role("button", name="Cookie settings").click()
    _record(page, "Withdraw my consent")
    assert _ppms_set_once_called(page) == [{"consents": {"analytics": {"status": 0}}}]


def test_piwik_pro_is_left_alone_when_its_container_is_blocked(page: Page, live_server: str) -> None:
    _site(page, live_server, '<script src="/site/ppms.js"></script>')
    _open(page, live_server)
    _record(page, "Accept all")
    assert _ppms_set(page) == []  # the default: the container itself waits for consent (data-category)


def test_a_swedish_page_shows_the_policys_swedish_category_names(page: Page, live_server: str) -> None:
    _site(page, live_server, "", lang="sv")
    _open(page, live_server)
    dialog = page.get_by_role("dialog", name="Cookies på webbplatsen")
    expect(dialog.get_by_role("listitem").filter(has_text="Analys:")).to_contain_text(
        "Låter Elastx se hur webbplatsen används"
    )
    dialog.get_by_role("button", name="Inställningar").click()
    expect(dialog.get_by_role("switch", name="Analys")).not_to_be_checked()
    expect(dialog.get_by_text("Analytics")).to_have_count(0)


@pytest.fixture
def other_site(live_server: str) -> Iterator[str]:
    """A real page server on loopback, reached as http://localhost:PORT while Custos is http://127.0.0.1:PORT:
    another site altogether (and both on loopback, which Chrome's local network checks ask of a page calling
    a loopback server)."""
    html = (
        '<!doctype html><html lang="en"><head><title>Site</title></head><body><h1>Site</h1>'
        '<script type="text/plain" data-category="analytics">window.analyticsRan = true;</script>'
        f'<script src="{live_server}/consent/banner.js"></script></body></html>'
    ).encode()

    class SitePage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), SitePage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_banner_works_from_a_listed_site_on_another_origin(
    page: Page, live_server: str, other_site: str, runtime: Runtime
) -> None:
    # CORS with credentials, and a consent cookie that is SameSite=None; Secure; Partitioned.
    consent = runtime.policy.consent
    assert consent is not None
    runtime.policy = runtime.policy.model_copy(update={"consent": consent.model_copy(update={"sites": [other_site]})})
    page.goto(f"{other_site}/index.html")
    dialog = page.get_by_role("dialog", name="Cookies on this website")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("link", name="Privacy notice")).to_have_attribute(
        "href", f"{live_server}/privacy?lang=en"
    )
    _record(page, "Accept all")
    # The blocked script is turned on after the record's answer arrives, so wait for it rather than read at once.
    page.wait_for_function("window.analyticsRan === true")
    page.goto(f"{other_site}/index.html")  # the cookie came back: no question, analytics runs at once
    expect(page.get_by_role("button", name="Cookie settings")).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.wait_for_function("window.analyticsRan === true")
