"""The banner on a site of another origin than Custos: only the sites the policy lists (`consent.sites`) get CORS
answers with credentials, may record choices cross-site, and then get a consent cookie a browser keeps in that
context (SameSite=None; Secure; Partitioned); any other origin is refused as before."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from custos.runtime import Runtime

SITE = "https://www.example.se"
JSON = {"accept": "application/json"}
CHOICE = {"choices": {"analytics": True}, "method": "banner"}


@pytest.fixture
def listed(runtime: Runtime) -> None:
    consent = runtime.policy.consent
    assert consent is not None
    runtime.policy = runtime.policy.model_copy(update={"consent": consent.model_copy(update={"sites": [SITE]})})


def _from(origin: str, fetch_site: str = "cross-site") -> dict[str, Any]:
    return {**JSON, "origin": origin, "sec-fetch-site": fetch_site}


@pytest.mark.usefixtures("listed")
def test_a_listed_site_gets_cors_with_credentials(anonymous_client: TestClient) -> None:
    preflight = anonymous_client.options(
        "/consent/records",
        headers={
            "origin": SITE,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == SITE
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert preflight.headers["access-control-allow-methods"] == "POST"
    assert preflight.headers["access-control-allow-headers"] == "Content-Type"
    for path in ("/consent/config", "/consent/state", "/consent/records/me"):
        response = anonymous_client.get(path, headers=_from(SITE))
        assert response.status_code == 200, path
        assert response.headers["access-control-allow-origin"] == SITE, path
        assert response.headers["access-control-allow-credentials"] == "true", path
        assert "Origin" in response.headers["vary"], path


@pytest.mark.usefixtures("listed")
def test_a_listed_site_records_a_choice_with_a_cookie_that_works_cross_site(anonymous_client: TestClient) -> None:
    response = anonymous_client.post("/consent/records", json=CHOICE, headers=_from(SITE))
    assert response.status_code == 201, response.text
    assert response.headers["access-control-allow-origin"] == SITE
    cookie = response.headers["set-cookie"]
    assert "SameSite=none" in cookie
    assert "; Secure" in cookie
    assert "Partitioned" in cookie
    assert "HttpOnly" in cookie
    assert "Max-Age=31536000" in cookie
    # From a sub-domain of the same site the cookie stays SameSite=Lax: it is not a third-party cookie there.
    same_site = anonymous_client.post("/consent/records", json=CHOICE, headers=_from(SITE, "same-site"))
    assert "SameSite=lax" in same_site.headers["set-cookie"]


@pytest.mark.usefixtures("listed")
def test_any_other_origin_gets_no_cors_and_cannot_record(anonymous_client: TestClient) -> None:
    other = "https://evil.example"
    preflight = anonymous_client.options(
        "/consent/records", headers={"origin": other, "access-control-request-method": "POST"}
    )
    assert "access-control-allow-origin" not in preflight.headers
    state = anonymous_client.get("/consent/state", headers=_from(other))
    assert "access-control-allow-origin" not in state.headers
    refused = anonymous_client.post("/consent/records", json=CHOICE, headers=_from(other))
    assert refused.status_code == 403
    assert "set-cookie" not in refused.headers
    # Nor a listed site's origin with a path or another scheme: the origin must match exactly.
    assert (
        anonymous_client.post("/consent/records", json=CHOICE, headers=_from("http://www.example.se")).status_code
        == 403
    )


def test_without_listed_sites_nothing_cross_origin_is_allowed(anonymous_client: TestClient) -> None:
    response = anonymous_client.post("/consent/records", json=CHOICE, headers=_from(SITE))
    assert response.status_code == 403
    assert "access-control-allow-origin" not in anonymous_client.get("/consent/config", headers=_from(SITE)).headers
