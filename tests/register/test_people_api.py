"""The register over HTTP: add, read, find by email or phone, correct, and the one error shape."""

from typing import Any

from fastapi.testclient import TestClient

ANNA: dict[str, Any] = {
    "name": "Anna Lindqvist",
    "title": "System owner",
    "emails": ["Anna.Lindqvist@Example.se"],
    "phones": ["070-123 45 67"],
    "relationships": [{"subject_category": "prospect", "source": "Cloud fair Stockholm 2025"}],
}


def test_add_and_read_back_a_person(client: TestClient) -> None:
    created = client.post("/api/v1/people", json=ANNA)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["emails"] == ["anna.lindqvist@example.se"]
    assert body["phones"] == ["+46701234567"]
    [rel] = body["relationships"]
    assert rel["subject_category"] == "prospect"
    assert rel["legal_basis"] == "legitimate_interest"
    assert rel["collected_on"] == "2026-11-29"
    again = client.get(f"/api/v1/people/{body['ref']}").json()
    assert again["name"] == "Anna Lindqvist"


def test_find_by_email_or_phone_in_any_spelling(client: TestClient) -> None:
    ref = client.post("/api/v1/people", json=ANNA).json()["ref"]
    assert client.post("/api/v1/people/lookup", json={"email": " ANNA.lindqvist@example.SE "}).json()["ref"] == ref
    assert client.post("/api/v1/people/lookup", json={"phone": "+46 70 123 45 67"}).json()["ref"] == ref
    missing = client.post("/api/v1/people/lookup", json={"email": "nobody@example.se"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_same_email_twice_is_a_conflict(client: TestClient) -> None:
    client.post("/api/v1/people", json=ANNA)
    second = client.post("/api/v1/people", json={**ANNA, "name": "Someone Else"})
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "conflict"


def test_bad_input_names_every_field_that_is_wrong(client: TestClient) -> None:
    response = client.post(
        "/api/v1/people", json={**ANNA, "emails": ["not-an-address", "ok@example.se"], "phones": ["12"]}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    locations = {p["location"] for p in error["problems"]}
    assert locations == {"emails[0]", "phones[0]"}
    assert client.get("/api/v1/people").json()["total"] == 0


def test_relationships_must_exist_in_the_policy(client: TestClient) -> None:
    response = client.post("/api/v1/people", json={**ANNA, "relationships": [{"subject_category": "astronaut"}]})
    assert response.status_code == 422
    [problem] = response.json()["error"]["problems"]
    assert problem["location"] == "relationships[0].subject_category"
    assert "prospect" in problem["hint"]
    assert client.get("/api/v1/people").json()["total"] == 0


def test_schema_errors_use_the_same_shape(client: TestClient) -> None:
    response = client.post("/api/v1/people", json={"name": "No Contact"})
    assert response.status_code == 422
    assert set(response.json()) == {"error"}
    assert set(response.json()["error"]) == {"code", "message", "problems"}


def test_rectification_changes_the_record(client: TestClient) -> None:
    ref = client.post("/api/v1/people", json=ANNA).json()["ref"]
    updated = client.patch(f"/api/v1/people/{ref}", json={"name": "Anna Berg", "title": None})
    assert updated.status_code == 200
    assert (updated.json()["name"], updated.json()["title"]) == ("Anna Berg", None)


def test_customer_contact_through_an_organisation(client: TestClient) -> None:
    org = client.post(
        "/api/v1/organisations",
        json={
            "name": "Nordkod AB",
            "org_number": "556677-8899",
            "roles": [{"role": "customer", "started_on": "2019-01-01"}],
        },
    ).json()
    assert org["is_customer"] is True
    person = client.post(
        "/api/v1/people",
        json={
            **ANNA,
            "relationships": [{"subject_category": "customer_contact", "organisation_id": org["id"]}],
        },
    ).json()
    assert person["relationships"][0]["organisation_name"] == "Nordkod AB"
    ended = client.post(f"/api/v1/organisations/{org['id']}/roles", json={"role": "customer", "ended_on": "2026-06-30"})
    assert ended.json()["is_customer"] is False
    assert ended.json()["roles"] == [{"role": "customer", "started_on": "2019-01-01", "ended_on": "2026-06-30"}]


def test_ending_a_relationship(client: TestClient) -> None:
    person = client.post("/api/v1/people", json=ANNA).json()
    rel_id = person["relationships"][0]["id"]
    response = client.patch(
        f"/api/v1/people/{person['ref']}/relationships/{rel_id}", json={"last_interaction_on": "2026-11-01"}
    )
    assert response.json()["relationships"][0]["last_interaction_on"] == "2026-11-01"
