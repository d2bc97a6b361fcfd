"""The public pages a data subject and a visitor read: the /rights form's errors in words next to every field, in
both languages, and the visitor's own consent records as a page (HTML for a browser, JSON for an API client)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _field_error(page: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="f-{name}-error">([^<]+)</p>', page)
    assert found, f"no error next to {name}"
    return found.group(1)


def test_an_empty_form_names_every_missing_field_in_words_next_to_it(anonymous_client: TestClient) -> None:
    response = anonymous_client.post("/rights?lang=en", data={})
    assert response.status_code == 422
    page = response.text
    assert _field_error(page, "kind") == "Choose what you want to do."
    assert _field_error(page, "email").startswith("Write your email address")
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="f-email-error email-hint"' in page
    # The summary links each problem to its field, by the field's label, not its name.
    assert '<a href="#f-email">Your email address</a>' in page
    assert '<a href="#kind-access">What do you want to do?</a>' in page
    assert "nothing has been sent yet" in page


def test_details_are_asked_for_where_the_kind_needs_them_and_bad_values_are_explained(
    anonymous_client: TestClient,
) -> None:
    page = anonymous_client.post("/rights?lang=en", data={"kind": "rectification", "email": "nope", "phone": "12"}).text
    assert "not a valid email address" in _field_error(page, "email")
    assert "Write it as" in _field_error(page, "phone")
    assert _field_error(page, "details") == "Write what is wrong and what it should say instead."
    assert 'value="nope"' in page  # what was typed stays
    objection = anonymous_client.post("/rights", data={"kind": "objection_other", "email": "a@example.com"}).text
    assert _field_error(objection, "details").startswith("Write why you object")
    assert "f-email-error" not in objection


def test_errors_are_in_swedish_on_the_swedish_form(anonymous_client: TestClient) -> None:
    page = anonymous_client.post("/rights?lang=sv", data={"kind": "telepathy", "email": ""}).text
    assert _field_error(page, "kind") == "Välj ett av alternativen i listan."
    assert _field_error(page, "email").startswith("Skriv din e-postadress")
    assert 'lang="sv"' in page


def test_a_valid_request_is_sent(anonymous_client: TestClient) -> None:
    response = anonymous_client.post("/rights?lang=en", data={"kind": "access", "email": "kim@example.com"})
    assert response.status_code == 201
    assert "Your request is received" in response.text


def _consent(client: TestClient) -> None:
    given = client.post("/consent/records", json={"choices": {"analytics": True}, "method": "settings"})
    assert given.status_code == 201, given.text
    taken = client.post("/consent/records", json={"choices": {"analytics": False}, "method": "settings"})
    assert taken.status_code == 201, taken.text


def test_a_browser_reads_its_consent_records_as_a_page_in_its_language(anonymous_client: TestClient) -> None:
    _consent(anonymous_client)
    page = anonymous_client.get("/consent/records/me", headers={**HTML, "Accept-Language": "sv-SE,sv;q=0.9"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-language"] == "sv"
    text = page.text
    assert "Dina val om kakor" in text
    assert text.index("Återkallat samtycke") < text.index("Samtycke<")  # newest first
    assert '<span class="purpose">Analys</span>' in text  # the purpose by its title in the policy, in Swedish
    assert ">analytics<" not in text
    assert "2024-03-25" in text  # the notice version it was given under
    assert "Gäller till" in text
    assert "2027-11-29" in text  # valid at most 365 days from 2026-11-29
    assert 'href="/consent/records/me.json"' in text
    english = anonymous_client.get("/consent/records/me?lang=en", headers=HTML).text
    assert "Your cookie choices" in english
    assert "Withdrawal" in english
    assert '<span class="purpose">Analytics</span>' in english


def test_an_api_client_still_gets_json_and_the_json_link_always_does(anonymous_client: TestClient) -> None:
    _consent(anonymous_client)
    plain = anonymous_client.get("/consent/records/me")
    assert plain.headers["content-type"].startswith("application/json")
    assert [i["kind"] for i in plain.json()["items"]] == ["consent", "withdrawal"]
    linked = anonymous_client.get("/consent/records/me.json", headers=HTML)
    assert linked.json() == plain.json()
    asked = anonymous_client.get("/consent/records/me", headers={"Accept": "application/json"})
    assert asked.json() == plain.json()


def test_without_a_consent_cookie_the_page_says_there_is_nothing(anonymous_client: TestClient) -> None:
    page = anonymous_client.get("/consent/records/me?lang=en", headers=HTML)
    assert page.status_code == 200
    assert 'id="no-records"' in page.text


def test_the_admin_consent_page_links_to_the_proof_export(anonymous_client: TestClient, client: TestClient) -> None:
    _consent(anonymous_client)
    page = client.get("/admin/consent").text
    found = re.search(r'<a href="([^"]+)" id="consent-proof-export"', page)
    assert found, page
    export = client.get(found.group(1).replace("&amp;", "&"))
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("application/x-ndjson")
    assert [line.count('"kind"') for line in export.text.splitlines()] == [1, 1]
