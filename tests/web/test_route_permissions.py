"""Least privilege, proven over the whole API (Art. 25(2), 32(4)): every route under /api/ or /admin/ names a
permission, an anonymous caller gets 401 everywhere, and each built-in role is allowed or refused as its
description says on a representative route of each area."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import fastapi.routing
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from custos.web.auth import current_principal, permission_of, signed_in

PUBLIC = {
    ("POST", "/api/v1/auth/login"),
    ("GET", "/admin/login"),
    ("POST", "/admin/login"),
    ("GET", "/admin/language"),  # a language preference only
}
# The caller's own account: logged in is enough (each checks that inside, where it matters).
SELF_SERVICE = {
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/logout-everywhere"),
    ("GET", "/api/v1/auth/me"),
    ("POST", "/api/v1/auth/password"),
    ("POST", "/api/v1/auth/totp/enrol"),
    ("POST", "/api/v1/auth/totp/confirm"),
    ("POST", "/api/v1/auth/recovery-codes"),
    ("POST", "/admin/logout"),
    ("POST", "/admin/logout-everywhere"),
    ("GET", "/admin/account/password"),
    ("POST", "/admin/account/password"),
    ("GET", "/admin/account/totp"),
    ("POST", "/admin/account/totp/start"),
    ("POST", "/admin/account/totp/confirm"),
    ("POST", "/admin/account/recovery-codes"),
}
# Fully logged in (own password, second factor), any grants: the page shows only what those grants open.
SIGNED_IN = {("GET", "/admin")}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _flat(routes: list[BaseRoute]) -> Iterator[tuple[str, Any]]:
    """(path, route) for every route, including those of included routers (FastAPI keeps those nested)."""
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if contexts is None:  # FastAPI before nested routers: app.routes is already flat
        yield from ((getattr(route, "path", ""), route) for route in routes)
        return
    for context in contexts(routes):
        yield context.path or "", context


def _guarded(routes: list[BaseRoute]) -> Iterator[tuple[str, str, Any]]:
    for path, route in _flat(routes):
        if path.startswith(("/api/", "/admin/")) or path == "/admin":
            for method in sorted(getattr(route, "methods", None) or {"*"}):
                yield method, path, route


def test_every_api_route_names_a_permission(anonymous_client: TestClient) -> None:
    missing = []
    checked = 0
    for method, path, route in _guarded(anonymous_client.app.routes):  # type: ignore[attr-defined]
        if (method, path) in PUBLIC:
            continue
        original = getattr(route, "original_route", route)
        if not isinstance(original, APIRoute):
            missing.append((method, path, "not an API route, so no dependency can guard it"))
            continue
        calls = list(_calls(route.dependant))
        if (method, path) in SELF_SERVICE:
            if current_principal not in calls:
                missing.append((method, path, "self-service route without a logged-in caller"))
        elif (method, path) in SIGNED_IN:
            if signed_in not in calls:
                missing.append((method, path, "signed-in route without the signed-in check"))
        elif not any(permission_of(call) for call in calls):
            missing.append((method, path, "no Require(...) dependency"))
        checked += 1
    assert missing == []
    assert checked > 40  # the walk found the routes, the admin pages' included


def test_anonymous_callers_get_401_on_every_guarded_route(anonymous_client: TestClient) -> None:
    """API callers get the JSON 401; a browser on an admin page is sent to the login page instead."""
    seen = {"api": 0, "admin": 0}
    for method, path, _ in _guarded(anonymous_client.app.routes):  # type: ignore[attr-defined]
        if (method, path) in PUBLIC or method == "*":
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)
        if path.startswith("/api/"):
            response = anonymous_client.request(method, url, json={})
            assert response.status_code == 401, (method, path, response.text)
            assert response.json()["error"]["code"] == "unauthenticated"
            seen["api"] += 1
        else:
            response = anonymous_client.request(method, url, data={}, follow_redirects=False)
            assert response.status_code == 303, (method, path, response.text)
            assert response.headers["location"].startswith("/admin/login"), (method, path)
            seen["admin"] += 1
    assert seen["api"] > 20
    assert seen["admin"] > 15


ANNA = {"name": "Anna Lindqvist", "emails": ["anna@example.se"], "relationships": [{"subject_category": "prospect"}]}
INCIDENT = {"summary": "Laptop stolen", "reported_by": "IT", "kinds": ["confidentiality"]}
AREAS: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "register read": ("GET", "/api/v1/people", None),
    "register write": ("POST", "/api/v1/people", ANNA),
    "staff manage": ("GET", "/api/v1/staff", None),
    "audit read": ("GET", "/api/v1/audit/events", None),
    "incidents read": ("GET", "/api/v1/incidents", None),
    "incidents manage": ("POST", "/api/v1/incidents", INCIDENT),
}
ALLOWED = {
    "dpo": {"register read", "register write", "staff manage", "audit read", "incidents read", "incidents manage"},
    "privacy_officer": {"register read", "register write", "incidents read", "incidents manage"},
    "support_agent": set(),
    "system_owner": set(),
    "auditor": {"audit read", "incidents read"},
    "account_admin": {"staff manage"},  # separation of duties: no personal data
}


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_each_built_in_role_is_allowed_exactly_its_areas(role: str, login_as: Callable[..., TestClient]) -> None:
    client = login_as(role)
    outcome = {}
    for area, (method, url, body) in AREAS.items():
        response = client.request(method, url, json=body)
        assert response.status_code != 401, response.text
        if response.status_code == 403:
            assert response.json()["error"]["code"] == "permission_denied"
        outcome[area] = response.status_code < 400
    assert {area for area, allowed in outcome.items() if allowed} == ALLOWED[role]


def test_a_grant_for_another_scope_does_not_open_the_register(login_as: Callable[..., TestClient]) -> None:
    # The register is Custos's own data (scope "custos"); a grant for the CRM or for production is not enough.
    for scope in ("crm", "production"):
        assert login_as("privacy_officer", scope).get("/api/v1/people").status_code == 403
    assert login_as("privacy_officer", "custos").get("/api/v1/people").status_code == 200
