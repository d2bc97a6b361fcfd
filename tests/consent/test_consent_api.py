"""The public consent endpoints and the admin proof export, over HTTP."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from custos.app import create_app
from custos.runtime import Runtime
from custos.settings import Settings

JSON = {"accept": "application/json"}


def _post(client: TestClient, choices: object, method: str = "banner", **headers: str) -> Any:
    return client.post("/consent/records", json={"choices": choices, "method": method}, headers={**JSON, **headers})


def test_a_choice_sets_the_consent_cookie_on_the_server(anonymous_client: TestClient) -> None:
    response = _post(anonymous_client, {"analytics": True})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == "consent"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"custos_consent={body['visitor_id']};")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Max-Age=31536000" in cookie  # 365 days, the policy's limit
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain http in the test; see the https test
    state = anonymous_client.get("/consent/state").json()
    assert state["ask"] is False
    assert state["choices"] == {"analytics": True}
    assert state["version"] == "2024-03-25"


def test_the_cookie_is_secure_behind_https(settings: Settings, runtime: Runtime) -> None:
    with TestClient(create_app(settings, runtime=runtime), base_url="https://testserver") as client:
        response = _post(client, {"analytics": False})
    assert "Secure" in response.headers["set-cookie"]


def test_a_visitor_sees_their_own_history(anonymous_client: TestClient) -> None:
    assert anonymous_client.get("/consent/records/me").json() == {"items": []}
    _post(anonymous_client, {"analytics": True})
    _post(anonymous_client, {"analytics": False}, "settings")
    items = anonymous_client.get("/consent/records/me").json()["items"]
    assert [(i["kind"], i["method"]) for i in items] == [("consent", "banner"), ("withdrawal", "settings")]
    assert "ip" not in items[0]
    assert items[0]["ua_family"] == "other"  # the test client's agent; never the full string


def test_first_visit_asks(anonymous_client: TestClient) -> None:
    state = anonymous_client.get("/consent/state").json()
    assert (state["ask"], state["reason"], state["choices"], state["gpc"]) == (
        True,
        "first_visit",
        {"analytics": False},
        False,
    )


@pytest.mark.parametrize(
    "body",
    [
        {"choices": {"analytics": "yes"}, "method": "banner"},
        {"choices": {"analytics": True}, "method": "popup"},
        {"choices": {"analytics": True}},
        {"choices": {"analytics": True}, "method": "banner", "extra": 1},
        {"choices": {"marketing": True}, "method": "banner"},
        {"choices": {"analytics": True}, "method": "gpc"},
        [],
    ],
)
def test_malformed_choices_get_the_one_error_shape(anonymous_client: TestClient, body: object) -> None:
    response = anonymous_client.post("/consent/records", json=body, headers=JSON)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["problems"]
    assert "set-cookie" not in response.headers


def test_a_form_post_from_another_site_cannot_record_consent(anonymous_client: TestClient) -> None:
    form = anonymous_client.post(
        "/consent/records",
        content=b'{"choices":{"analytics":true},"method":"banner"}',
        headers={"content-type": "text/plain", **JSON},
    )
    assert form.status_code == 422
    cross = _post(anonymous_client, {"analytics": True}, **{"sec-fetch-site": "cross-site"})
    assert cross.status_code == 403
    assert cross.json()["error"]["code"] == "permission_denied"


def test_gpc_header_is_reported_and_recorded(anonymous_client: TestClient) -> None:
    state = anonymous_client.get("/consent/state", headers={"sec-gpc": "1"}).json()
    assert state["gpc"] is True
    record = _post(anonymous_client, {"analytics": False}, "gpc", **{"sec-gpc": "1"}).json()
    assert (record["kind"], record["method"], record["gpc"]) == ("refusal", "gpc", True)
    assert anonymous_client.get("/.well-known/gpc.json").json() == {"gpc": True, "lastUpdate": "2024-03-25"}


def test_public_endpoints_are_rate_limited(anonymous_client: TestClient) -> None:
    limits = anonymous_client.app.state.consent_limits  # type: ignore[attr-defined]
    limits.visitor.capacity = 2
    limits.visitor.per_second = 0.001
    assert anonymous_client.get("/consent/state").status_code == 200
    assert anonymous_client.get("/consent/state").status_code == 200
    response = anonymous_client.get("/consent/state", headers=JSON)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert int(response.headers["retry-after"]) >= 1


def test_banner_config_in_both_languages(anonymous_client: TestClient) -> None:
    en = anonymous_client.get("/consent/config?lang=en").json()
    sv = anonymous_client.get("/consent/config?lang=sv").json()
    assert en["texts"]["reject_all"] == "Reject all"
    assert sv["texts"]["reject_all"] == "Avvisa alla"
    assert en["icon"] == "bottom-left"
    assert [c["id"] for c in en["categories"]] == ["analytics"]
    assert [c["name"] for c in en["categories"][0]["cookies"]] == ["_pk_id.*", "_pk_ses.*"]
    assert "Elastx" in en["texts"]["intro"]
    # The policy's own texts in the page's language (examples/elastx/policy.yaml gives both).
    assert (en["categories"][0]["name"], sv["categories"][0]["name"]) == ("Analytics", "Analys")
    assert sv["categories"][0]["description"].startswith("Låter Elastx se hur webbplatsen används")
    assert en["adapters"] == {"piwik_pro": "container", "google_consent_mode": False}  # the defaults
    assert anonymous_client.get("/consent/config?lang=de", headers=JSON).status_code == 422


def test_both_languages_have_the_same_banner_texts() -> None:
    def keys(lang: str) -> set[str]:
        text = (resources.files("custos.consent") / "texts" / f"{lang}.yaml").read_text("utf-8")
        return set(yaml.safe_load(text))

    assert keys("en") == keys("sv")


def test_banner_js_and_css_fit_in_8_kb_gzipped(anonymous_client: TestClient) -> None:
    # Everything a site loads: the banner, its styles, and Google Consent Mode's defaults.
    js = anonymous_client.get("/consent/banner.js")
    defaults = anonymous_client.get("/consent/consent-default.js")
    css = anonymous_client.get("/consent/banner.css")
    assert js.headers["content-type"].startswith("text/javascript")
    assert defaults.headers["content-type"].startswith("text/javascript")
    assert css.headers["content-type"].startswith("text/css")
    size = sum(len(gzip.compress(r.content, 9)) for r in (js, defaults, css))
    assert size <= 8 * 1024, size
    assert "style=" not in js.text  # nothing that would need 'unsafe-inline'


def test_demo_page_runs_under_a_strict_csp(anonymous_client: TestClient) -> None:
    response = anonymous_client.get("/consent/demo")
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'<script src="/consent/banner.js" nonce="{nonce}">' in response.text
    assert 'type="text/plain" data-category="analytics"' in response.text
    assert anonymous_client.get("/consent/demo/collect").status_code == 204
    assert "_pk_id" in anonymous_client.get("/consent/demo/fake-analytics.js").text


def test_admin_export_is_json_lines_and_audited(
    anonymous_client: TestClient, login_as: Callable[..., TestClient], runtime: Runtime
) -> None:
    visitor = _post(anonymous_client, {"analytics": True}).json()["visitor_id"]
    _post(anonymous_client, {"analytics": False})
    assert login_as("auditor").get("/api/v1/consent/records").status_code == 403
    dpo = login_as("dpo")
    response = dpo.get("/api/v1/consent/records", params={"visitor": visitor})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [line["kind"] for line in lines] == ["consent", "withdrawal"]
    ranged = dpo.get("/api/v1/consent/records", params={"from": "2026-11-29T00:00:00Z", "to": "2026-11-30T00:00:00Z"})
    assert len(ranged.text.splitlines()) == 2
    bad = dpo.get("/api/v1/consent/records", params={"visitor": "nope"})
    assert bad.status_code == 422
    events = dpo.get("/api/v1/audit/events", params={"action": "consent.export"}).json()["items"]
    assert [e["details"]["count"] for e in events] == [2, 2]


def test_banner_endpoints_answer_errors_in_json_whatever_accept_says(anonymous_client: TestClient) -> None:
    response = anonymous_client.post("/consent/records", content=b"not json", headers={"accept": "*/*"})
    assert response.status_code >= 400
    assert response.headers["content-type"].startswith("application/json")
    assert set(response.json()["error"]) == {"code", "message", "problems"}
