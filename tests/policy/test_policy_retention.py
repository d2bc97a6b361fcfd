"""due_date: the day a relationship's data is due for erasure under a retention rule, or None while kept."""

from datetime import date

import pytest
from pydantic import ValidationError

from custos.policy import Anchor, Due, LegalRetention, RetentionFacts, RetentionRule, due, due_date


def rule(**fields: str) -> RetentionRule:
    return RetentionRule.model_validate(fields)


def test_ten_years_after_the_relationship_ended_clamps_leap_day() -> None:
    keep = rule(keep="P10Y", **{"from": "relationship.ended"})
    facts = RetentionFacts(relationship_started=date(2010, 1, 1), relationship_ended=date(2016, 2, 29))
    assert due_date(keep, facts) == date(2026, 2, 28)


def test_month_end_anchor_clamps_to_the_shorter_month() -> None:
    keep = rule(keep="P1M", **{"from": "last_interaction"})
    assert due_date(keep, RetentionFacts(last_interaction=date(2024, 1, 31))) == date(2024, 2, 29)


def test_open_relationship_has_no_due_date() -> None:
    keep = rule(keep="P10Y", **{"from": "relationship.ended"})
    assert due_date(keep, RetentionFacts(relationship_started=date(2020, 5, 1))) is None


def test_contact_is_kept_while_the_organisation_is_still_a_customer() -> None:
    customer = rule(**{"while": "organisation.is_customer", "then": "P10Y", "from": "organisation.customer_until"})
    # The person's own role ended long ago, but the organisation is still a customer: nothing is due.
    facts = RetentionFacts(relationship_ended=date(2015, 1, 1), is_customer=True)
    assert due_date(customer, facts) is None


def test_contact_is_due_ten_years_after_the_organisation_stopped_being_a_customer() -> None:
    customer = rule(**{"while": "organisation.is_customer", "then": "P10Y", "from": "organisation.customer_until"})
    facts = RetentionFacts(customer_until=date(2020, 5, 31), is_customer=False)
    assert due_date(customer, facts) == date(2030, 5, 31)


def test_while_relationship_is_open_uses_started_and_ended() -> None:
    open_rule = rule(**{"while": "relationship.is_open", "then": "P2Y", "from": "relationship.ended"})
    assert due_date(open_rule, RetentionFacts(relationship_started=date(2020, 1, 1))) is None
    ended = RetentionFacts(relationship_started=date(2020, 1, 1), relationship_ended=date(2021, 6, 30))
    assert due_date(open_rule, ended) == date(2023, 6, 30)


@pytest.mark.parametrize("financial_year_ended", [date(2023, 6, 30), date(2023, 12, 31)])
def test_bookkeeping_runs_through_the_seventh_year_after_the_calendar_year(
    financial_year_ended: date,
) -> None:
    # Bokföringslagen 7 kap. 2 §: kept through 2030 when the financial year ended in 2023.
    books = rule(keep="P7Y", round="end_of_year", **{"from": "financial_year.ended"})
    assert due_date(books, RetentionFacts(financial_year_ended=financial_year_ended)) == date(2031, 1, 1)


def test_end_of_month_rounding_counts_from_the_first_of_the_next_month() -> None:
    monthly = rule(keep="P1M", round="end_of_month", **{"from": "collected"})
    assert due_date(monthly, RetentionFacts(collected=date(2024, 1, 15))) == date(2024, 3, 1)


def test_describe_says_period_and_anchor_in_words() -> None:
    customer = rule(**{"while": "organisation.is_customer", "then": "P10Y", "from": "organisation.customer_until"})
    assert customer.describe() == (
        "while the organisation is a customer, then 10 years after the organisation stopped being a customer"
    )
    books = rule(keep="P7Y", round="end_of_year", **{"from": "financial_year.ended"})
    assert books.describe() == ("7 years after the end of the calendar year in which the financial year ended")


CUSTOMER_WITH_BOUND = {
    "while": "organisation.is_customer",
    "then": "P10Y",
    "from": "organisation.customer_until",
    "contact_ended": {"keep": "P1Y", "from": "relationship.ended"},
}


def test_a_former_contact_of_a_current_customer_is_due_a_bounded_time_after_their_own_end() -> None:
    bounded = RetentionRule.model_validate(CUSTOMER_WITH_BOUND)
    # Still their contact: kept while the organisation is a customer.
    assert due_date(bounded, RetentionFacts(relationship_started=date(2015, 1, 1), is_customer=True)) is None
    # Their own role ended: one year later, although the organisation is still a customer.
    former = RetentionFacts(relationship_ended=date(2016, 2, 29), is_customer=True)
    assert due(bounded, former) == Due(date(2017, 2, 28), Anchor.RELATIONSHIP_ENDED, date(2016, 2, 29), True)
    # The earlier of the two dates: the organisation's end plus ten years, when it comes first.
    both = RetentionFacts(relationship_ended=date(2024, 1, 1), customer_until=date(2010, 1, 1))
    assert due(bounded, both) == Due(date(2020, 1, 1), Anchor.CUSTOMER_UNTIL, date(2010, 1, 1), False)
    assert bounded.describe().endswith(
        "; a former contact, whose own role ended while the organisation is still a customer, 1 year after their "
        "own role ended, if that is earlier"
    )


def test_contact_ended_is_refused_where_it_cannot_mean_anything() -> None:
    with pytest.raises(ValidationError) as no_organisation:
        rule(keep="P10Y", **{"from": "relationship.ended", "contact_ended": {"keep": "P1Y"}})  # type: ignore[arg-type]
    assert no_organisation.value.errors()[0]["loc"] == ("contact_ended",)
    with pytest.raises(ValidationError) as other_anchor:
        RetentionRule.model_validate({**CUSTOMER_WITH_BOUND, "contact_ended": {"keep": "P1Y", "from": "collected"}})
    assert other_anchor.value.errors()[0]["loc"] == ("contact_ended", "from")
    with pytest.raises(ValidationError) as legal:
        LegalRetention.model_validate({**CUSTOMER_WITH_BOUND, "law": "Bokföringslagen (1999:1078)"})
    assert "legal minimum" in legal.value.errors()[0]["msg"]
