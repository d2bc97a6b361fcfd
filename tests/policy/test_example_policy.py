"""The Elastx example encodes every statement of the published policy of 2024-03-25."""

from datetime import date
from pathlib import Path

import pytest

from custos.policy import (
    Anchor,
    Condition,
    CookieCategory,
    Duration,
    LegalBasis,
    Party,
    Policy,
    RetentionFacts,
    due_date,
    load_policy,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "elastx" / "policy.yaml"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(EXAMPLE)


def test_organisation_and_contacts(policy: Policy) -> None:
    contacts = policy.organisation.contacts
    assert (contacts.privacy, contacts.support, contacts.info) == (
        "privacy@elastx.com",
        "support@elastx.se",
        "info@elastx.se",
    )
    assert str(contacts.portal) == "https://support.elastx.se/"
    assert policy.organisation.country == "SE"
    assert "IMY" in policy.organisation.supervisory_authority
    assert "CTO" in (policy.data_protection.supported_by or "")


def test_versions_current_and_previous(policy: Policy) -> None:
    assert policy.current_version == date(2024, 3, 25)
    assert [version.date for version in policy.versions_sorted] == [date(2023, 10, 3), date(2024, 3, 25)]


def test_customer_contacts_kept_while_customer_then_at_most_ten_years(policy: Policy) -> None:
    activity = policy.activity("customer-contacts")
    assert activity.legal_basis is LegalBasis.LEGITIMATE_INTEREST
    assert activity.assessment is not None
    assert [c.id for c in policy.resolve_data(activity)] == [
        "contact.name",
        "contact.role",
        "contact.email",
        "contact.phone",
    ]
    assert activity.uses == ["mailings", "selections", "customer-care-analyses"]
    assert activity.retention.while_ is Condition.IS_CUSTOMER
    assert activity.erasure is not None
    assert activity.erasure.via == "support"
    # The organisation is still a customer and the person still its contact: kept.
    assert due_date(activity.retention, RetentionFacts(is_customer=True)) is None
    # The person's own role ended, the organisation is still a customer: kept one more year (the seed: "we
    # usually continue to save"; the bound is the example's ASSUMPTION).
    assert due_date(activity.retention, RetentionFacts(relationship_ended=date(2020, 1, 1), is_customer=True)) == date(
        2021, 1, 1
    )
    stopped = RetentionFacts(customer_until=date(2024, 6, 30))
    assert due_date(activity.retention, stopped) == date(2034, 6, 30)


def test_prospects_balancing_of_interests_up_to_ten_years(policy: Policy) -> None:
    activity = policy.activity("prospects")
    assert activity.legal_basis is LegalBasis.LEGITIMATE_INTEREST
    assert activity.assessment is not None
    assert activity.assessment.outcome == "interest_prevails"
    assert activity.retention.keep == Duration(years=10)
    assert activity.retention.from_ is Anchor.LAST_INTERACTION
    assert activity.uses == []  # the seed names no mailings or selections for prospects
    assert activity.source is not None
    assert "fairs" in activity.source


def test_employees_suppliers_partners_ten_years_after_the_end(policy: Policy) -> None:
    ended = RetentionFacts(relationship_ended=date(2016, 2, 29))
    assert due_date(policy.activity("employment").retention, ended) == date(2026, 2, 28)
    assert policy.activity("employment").legal_basis is LegalBasis.CONTRACT
    assert policy.activity("taxes-and-fees").legal_basis is LegalBasis.LEGAL_OBLIGATION
    supplier = policy.activity("supplier-contacts").retention
    assert due_date(supplier, RetentionFacts(is_supplier=True)) is None
    assert due_date(supplier, RetentionFacts(supplier_until=date(2022, 12, 31))) == date(2032, 12, 31)
    partner = policy.activity("partner-contacts").retention
    assert due_date(partner, RetentionFacts(partner_until=date(2022, 12, 31))) == date(2032, 12, 31)


def test_invoices_are_kept_as_bokforingslagen_requires(policy: Policy) -> None:
    legal = policy.data_category("finance.invoice").legal_retention
    assert legal is not None
    assert "7 kap. 2 §" in legal.law
    assert due_date(legal, RetentionFacts(financial_year_ended=date(2024, 12, 31))) == date(2032, 1, 1)


def test_processor_role_for_the_cloud_platform(policy: Policy) -> None:
    [service] = policy.processor
    assert service.service == "Elastx Cloud Platform"
    assert service.controller == "customer"
    assert "no opinions on or knowledge of" in service.description


def test_cookies_and_consent(policy: Policy) -> None:
    by_name = {cookie.name: cookie for cookie in policy.cookies}
    assert by_name["_pk_id.*"].category is CookieCategory.ANALYTICS
    assert by_name["_pk_ses.*"].duration == Duration(minutes=30)
    assert by_name["custos_consent"].category is CookieCategory.NECESSARY
    assert all(cookie.party is Party.FIRST for cookie in policy.cookies)
    consent = policy.consent
    assert consent is not None
    assert consent.validity == Duration(days=365)
    assert consent.implied_by_browsing is False  # the seed's "we will assume that you agree" is not consent
    assert consent.withdraw_icon == "bottom-left"
    assert consent.gpc_honoured is True


def test_security_measures_include_access_limits_and_incident_routine(policy: Policy) -> None:
    ids = {measure.id for measure in policy.security_measures}
    assert {"limited-staff-access", "environment-access-control", "incident-routine"} <= ids


def test_every_activity_names_defined_systems_in_an_environment(policy: Policy) -> None:
    for activity in policy.activities:
        for system_id in activity.systems:
            assert policy.system(system_id).environment == "production"
