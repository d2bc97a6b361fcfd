"""The app shell: health, OpenAPI, and one error shape for API callers and a page for people."""

from fastapi.testclient import TestClient


def test_healthz_reports_database_and_policy(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "policy_version": "2024-03-25"}


def test_openapi_lists_the_register(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/people" in paths
    assert "/api/v1/organisations" in paths


def test_unknown_api_route_gets_the_json_error_shape(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not Found", "problems": []}}


def test_unknown_page_gets_an_html_page(client: TestClient) -> None:
    response = client.get("/nothing-here", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>404</h1>" in response.text
