"""Recording choices and deciding when to ask again: GDPR Art. 7(1) proof, Art. 7(3) withdrawal, at most
365 days (the policy's limit), and a new question when the policy version or the cookie inventory changes."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest

from custos.actor import Actor
from custos.clock import FixedClock
from custos.consent import service
from custos.consent.service import AskReason, Choice, Kind, Method
from custos.consent.terms import ConsentTerms, consent_categories, terms_for
from custos.errors import InvalidInput
from custos.policy import Policy, Version
from custos.runtime import Runtime

OFFICER = Actor(kind="staff", id=1, label="staff:1")


@pytest.fixture
def terms(runtime: Runtime) -> ConsentTerms:
    return terms_for(runtime.policy)


def _record(
    runtime: Runtime, terms: ConsentTerms, visitor: str | None, method: Method = Method.BANNER, **choices: bool
):
    with runtime.work(service.VISITOR) as work:
        return service.record_choice(work, terms, visitor, Choice(choices, method))


def _state(runtime: Runtime, terms: ConsentTerms, visitor: str | None) -> service.ConsentState:
    with runtime.work(service.VISITOR) as work:
        return service.current_state(work, terms, visitor)


def test_the_example_asks_only_about_analytics(runtime: Runtime, terms: ConsentTerms) -> None:
    assert consent_categories(runtime.policy) == ["analytics"]
    assert terms.categories == ("analytics",)
    assert terms.validity == timedelta(days=365)
    assert terms.policy_version == dt.date(2024, 3, 25)


def test_a_consent_is_recorded_with_its_proof(runtime: Runtime, terms: ConsentTerms, clock: FixedClock) -> None:
    record = _record(runtime, terms, None, analytics=True)
    assert service.is_visitor_id(record.visitor_id)
    assert len(record.id) == 32
    assert record.kind == "consent"
    assert record.method == "banner"
    assert record.choices == {"analytics": True}
    assert record.at == clock.now()
    assert record.expires_at == clock.now() + timedelta(days=365)
    assert (record.policy_version, record.policy_hash) == (dt.date(2024, 3, 25), runtime.policy.content_hash())
    assert len(record.inventory_hash) == 64


def test_an_unmentioned_category_is_not_consented(runtime: Runtime, terms: ConsentTerms) -> None:
    assert _record(runtime, terms, None).choices == {"analytics": False}
    assert _record(runtime, terms, None).kind == "refusal"


def test_refusing_after_consenting_is_a_withdrawal(runtime: Runtime, terms: ConsentTerms) -> None:
    visitor = _record(runtime, terms, None, analytics=True).visitor_id
    withdrawn = _record(runtime, terms, visitor, Method.SETTINGS, analytics=False)
    assert withdrawn.visitor_id == visitor
    assert withdrawn.kind == "withdrawal"
    assert _record(runtime, terms, visitor, analytics=False).kind == "refusal"
    with runtime.work(service.VISITOR) as work:
        kinds = [r.kind for r in service.history(work, visitor)]
    assert kinds == ["consent", "withdrawal", "refusal"]


@pytest.mark.parametrize(
    ("choices", "method", "location"),
    [
        ({"marketing": True}, Method.BANNER, "choices.marketing"),
        ({"necessary": False}, Method.BANNER, "choices.necessary"),
        ({"analytics": True}, Method.GPC, "method"),
    ],
)
def test_choices_outside_the_terms_are_refused(
    runtime: Runtime, terms: ConsentTerms, choices: dict[str, bool], method: Method, location: str
) -> None:
    with pytest.raises(InvalidInput) as caught, runtime.work(service.VISITOR) as work:
        service.record_choice(work, terms, None, Choice(choices, method))
    assert [p.location for p in caught.value.problems] == [location]


def test_state_follows_the_choice_until_it_expires(runtime: Runtime, terms: ConsentTerms, clock: FixedClock) -> None:
    first = _state(runtime, terms, None)
    assert (first.ask, first.reason, first.choices) == (True, AskReason.FIRST_VISIT, {"analytics": False})
    visitor = _record(runtime, terms, None, analytics=True).visitor_id
    now = _state(runtime, terms, visitor)
    assert (now.ask, now.choices, now.kind) == (False, {"analytics": True}, Kind.CONSENT)
    clock.advance(timedelta(days=364))
    assert _state(runtime, terms, visitor).ask is False
    clock.advance(timedelta(days=2))
    later = _state(runtime, terms, visitor)
    assert (later.ask, later.reason, later.choices) == (True, AskReason.EXPIRED, {"analytics": False})


def test_a_new_policy_version_asks_again(runtime: Runtime, terms: ConsentTerms) -> None:
    visitor = _record(runtime, terms, None, analytics=True).visitor_id
    newer = runtime.policy.model_copy(
        update={"versions": [*runtime.policy.versions, Version(date=dt.date(2026, 11, 1))]}
    )
    state = _state(runtime, terms_for(newer), visitor)
    assert (state.ask, state.reason, state.choices) == (True, AskReason.POLICY_CHANGED, {"analytics": False})


def test_a_changed_cookie_inventory_asks_again(runtime: Runtime, terms: ConsentTerms) -> None:
    visitor = _record(runtime, terms, None, analytics=True).visitor_id
    policy: Policy = runtime.policy
    fewer = policy.model_copy(update={"cookies": policy.cookies[1:]})
    fewer_terms = terms_for(fewer)
    # Same version and same policy hash would be impossible for a real edit; isolate the inventory check.
    fewer_terms = ConsentTerms(
        terms.policy_version, terms.policy_hash, fewer_terms.inventory_hash, terms.categories, terms.validity, True
    )
    assert _state(runtime, fewer_terms, visitor).reason == AskReason.INVENTORY_CHANGED


def test_a_malformed_visitor_id_is_a_new_visitor(runtime: Runtime, terms: ConsentTerms) -> None:
    record = _record(runtime, terms, "not-a-visitor", analytics=False)
    assert record.visitor_id != "not-a-visitor"
    assert _state(runtime, terms, "../etc").reason == AskReason.FIRST_VISIT


def test_export_by_visitor_and_by_time(runtime: Runtime, terms: ConsentTerms, clock: FixedClock) -> None:
    one = _record(runtime, terms, None, analytics=True).visitor_id
    clock.advance(timedelta(hours=1))
    _record(runtime, terms, None, analytics=False)
    with runtime.work(OFFICER) as work:
        assert [r.visitor_id for r in service.export(work, visitor_id=one)] == [one]
        assert len(service.export(work, since=clock.now())) == 1
        assert len(service.export(work, until=clock.now())) == 1
        assert len(service.export(work)) == 2
        with pytest.raises(InvalidInput):
            service.export(work, visitor_id="x")
        with pytest.raises(InvalidInput):
            service.export(work, since=dt.datetime(2026, 1, 1))  # no zone


def test_records_are_only_added(runtime: Runtime, terms: ConsentTerms) -> None:
    # The service offers no way to change or delete a record; a withdrawal is a record of its own.
    assert not any(name.startswith(("update", "delete", "edit")) for name in dir(service))
    _record(runtime, terms, None)
    with runtime.work(OFFICER) as work:
        assert len(service.export(work)) == 1
