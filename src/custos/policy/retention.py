"""Retention rules as data, and the one function that turns a rule and the register's facts into a date.

Storage limitation (GDPR Art. 5(1)(e)) is enforced by computing, per relationship, the date from which data
is due for erasure. A rule is one of two shapes:

    {keep: P10Y, from: relationship.ended}                                   # a period after a fact
    {while: organisation.is_customer, then: P10Y, from: organisation.customer_until}   # kept while, then …

`round: end_of_year` moves the anchor to the end of its calendar year first, which is how Bokföringslagen
(1999:1078) 7 kap. 2 § counts: "through the 7th year after the end of the calendar year in which the financial
year ended" = `{keep: P7Y, from: financial_year.ended, round: end_of_year}`.

A rule that keeps a contact for as long as their organisation holds a role may bound how long a *former* contact
(the person's own role ended, the organisation's did not) is kept:

    {while: organisation.is_customer, then: P10Y, from: organisation.customer_until,
     contact_ended: {keep: P2Y, from: relationship.ended}}

The relationship is then due on the earlier of the two dates (Art. 5(1)(e): no longer than the purpose needs;
a person who no longer deals with us is not needed to reach the customer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Self

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from custos.policy._base import DatePeriod, PolicyModel, Text
from custos.policy.cookies import LocalText
from custos.policy.durations import Duration, add_duration


class Anchor(StrEnum):
    """The facts the register holds per relationship; a rule may count only from one of these."""

    COLLECTED = "collected"
    RELATIONSHIP_STARTED = "relationship.started"
    RELATIONSHIP_ENDED = "relationship.ended"
    LAST_INTERACTION = "last_interaction"
    CUSTOMER_UNTIL = "organisation.customer_until"
    SUPPLIER_UNTIL = "organisation.supplier_until"
    PARTNER_UNTIL = "organisation.partner_until"
    FINANCIAL_YEAR_ENDED = "financial_year.ended"


class Condition(StrEnum):
    """Conditions under which data is kept with no end date yet."""

    IS_CUSTOMER = "organisation.is_customer"
    IS_SUPPLIER = "organisation.is_supplier"
    IS_PARTNER = "organisation.is_partner"
    RELATIONSHIP_OPEN = "relationship.is_open"


class Rounding(StrEnum):
    END_OF_YEAR = "end_of_year"
    END_OF_MONTH = "end_of_month"


# The organisation role a rule depends on, by its `while` condition or its `from` anchor.
ROLE_OF_CONDITION = {
    Condition.IS_CUSTOMER: "customer",
    Condition.IS_SUPPLIER: "supplier",
    Condition.IS_PARTNER: "partner",
}
ROLE_OF_ANCHOR = {Anchor.CUSTOMER_UNTIL: "customer", Anchor.SUPPLIER_UNTIL: "supplier", Anchor.PARTNER_UNTIL: "partner"}


class ContactEnded(PolicyModel):
    """How long a former contact is kept while their organisation still holds its role: `keep` after the
    person's own relationship ended. The seed policy: "we usually continue to save your contact information"."""

    keep: DatePeriod = Field(description="the period after the person's own role ended, e.g. P2Y")
    from_: Anchor = Field(
        default=Anchor.RELATIONSHIP_ENDED, alias="from", description="always relationship.ended: the person's own end"
    )

    @field_validator("from_")
    @classmethod
    def _own_end(cls, value: Anchor) -> Anchor:
        if value is not Anchor.RELATIONSHIP_ENDED:
            raise PydanticCustomError(
                "contact_ended_from",
                "a former contact is counted from the day their own role ended, not from {value}",
                {"value": str(value), "hint": "write `from: relationship.ended` (or leave `from` out)"},
            )
        return value


class RetentionRule(PolicyModel):
    """How long data is kept; exactly one of `keep` (plain period) or `while` + `then`."""

    keep: DatePeriod | None = Field(default=None, description="the period after the `from` fact, e.g. P10Y")
    while_: Condition | None = Field(
        default=None, alias="while", description="a condition under which data is kept with no end yet"
    )
    then: DatePeriod | None = Field(default=None, description="the period after the condition stops holding")
    from_: Anchor = Field(alias="from", description="the register fact the period is counted from")
    round: Rounding | None = Field(default=None, description="move the `from` date to the end of its year/month")
    reason: LocalText | None = Field(default=None, description="why this long; required in practice beyond P10Y")
    contact_ended: ContactEnded | None = Field(
        default=None,
        description="how long a former contact is kept while the organisation keeps its role, e.g. {keep: P2Y}",
    )

    @field_validator("contact_ended")
    @classmethod
    def _bounds_a_contact(cls, value: ContactEnded | None, info: ValidationInfo) -> ContactEnded | None:
        if value is None:
            return value
        if issubclass(cls, LegalRetention):
            raise PydanticCustomError(
                "contact_ended_legal",
                "a legal minimum cannot be shortened for former contacts",
                {"hint": "remove `contact_ended` here; put it on the activity's retention"},
            )
        condition, anchor = info.data.get("while_"), info.data.get("from_")
        if condition not in ROLE_OF_CONDITION and anchor not in ROLE_OF_ANCHOR:
            raise PydanticCustomError(
                "contact_ended_shape",
                "`contact_ended` bounds how long a contact is kept after their own role ended while the "
                "organisation keeps its role, but this rule does not depend on an organisation",
                {
                    "hint": "use it with e.g. `while: organisation.is_customer`, or count the rule itself from "
                    "`relationship.ended`"
                },
            )
        return value

    @model_validator(mode="after")
    def _one_shape(self) -> Self:
        if self.while_ is not None and self.then is None:
            raise PydanticCustomError(
                "retention_shape",
                "`while` needs `then`: how long to keep the data once the condition stops holding",
                {"hint": "add e.g. `then: P10Y`"},
            )
        if self.then is not None and self.while_ is None:
            raise PydanticCustomError(
                "retention_shape",
                "`then` is only used with `while`",
                {"hint": "write `keep:` instead of `then:`, or add a `while:` condition"},
            )
        if (self.keep is None) == (self.then is None):
            raise PydanticCustomError(
                "retention_shape",
                "a retention rule needs exactly one period: `keep` or `while` + `then`",
                {"hint": "e.g. {keep: P10Y, from: relationship.ended}"},
            )
        return self

    @property
    def period(self) -> Duration:
        period = self.keep if self.keep is not None else self.then
        assert period is not None  # guaranteed by _one_shape
        return period

    @property
    def role(self) -> str | None:
        """The organisation role the rule depends on (customer, supplier, partner), if any."""
        if self.while_ in ROLE_OF_CONDITION:
            return ROLE_OF_CONDITION[self.while_]
        return ROLE_OF_ANCHOR.get(self.from_)

    def describe(self) -> str:
        """Plain words for notices and Art. 30 records (Art. 13(2)(a): the period or the criteria)."""
        anchor = _ANCHOR_WORDS[self.from_]
        if self.round is Rounding.END_OF_YEAR:
            anchor = f"the end of the calendar year in which {anchor}"
        elif self.round is Rounding.END_OF_MONTH:
            anchor = f"the end of the month in which {anchor}"
        text = f"{_in_words(self.period)} after {anchor}"
        if self.while_ is not None:
            text = f"while {_CONDITION_WORDS[self.while_]}, then {text}"
        if self.contact_ended is not None:
            text += (
                f"; a former contact, whose own role ended while the organisation is still a {self.role}, "
                f"{_in_words(self.contact_ended.keep)} after their own role ended, if that is earlier"
            )
        return text


_ANCHOR_WORDS = {
    Anchor.COLLECTED: "the data was collected",
    Anchor.RELATIONSHIP_STARTED: "the relationship started",
    Anchor.RELATIONSHIP_ENDED: "the relationship ended",
    Anchor.LAST_INTERACTION: "the last interaction",
    Anchor.CUSTOMER_UNTIL: "the organisation stopped being a customer",
    Anchor.SUPPLIER_UNTIL: "the organisation stopped being a supplier",
    Anchor.PARTNER_UNTIL: "the organisation stopped being a partner",
    Anchor.FINANCIAL_YEAR_ENDED: "the financial year ended",
}
_CONDITION_WORDS = {
    Condition.IS_CUSTOMER: "the organisation is a customer",
    Condition.IS_SUPPLIER: "the organisation is a supplier",
    Condition.IS_PARTNER: "the organisation is a partner",
    Condition.RELATIONSHIP_OPEN: "the relationship lasts",
}


def _in_words(period: Duration) -> str:
    units = (("year", period.years), ("month", period.months), ("week", period.weeks), ("day", period.days))
    parts = [f"{count} {unit}" + ("s" if count != 1 else "") for unit, count in units if count]
    return " and ".join(parts) or "0 days"


class LegalRetention(RetentionRule):
    """A minimum a law requires data of a category to be kept; erasure requests leave it (Art. 17(3)(b))."""

    law: Text = Field(description="the provision that requires keeping, e.g. Bokföringslagen (1999:1078) 7 kap. 2 §")


@dataclass(frozen=True)
class RetentionFacts:
    """What the register knows about one relationship; `None` means the event has not happened (yet)."""

    collected: date | None = None
    relationship_started: date | None = None
    relationship_ended: date | None = None
    last_interaction: date | None = None
    customer_until: date | None = None
    supplier_until: date | None = None
    partner_until: date | None = None
    financial_year_ended: date | None = None
    is_customer: bool = False
    is_supplier: bool = False
    is_partner: bool = False

    def date_of(self, anchor: Anchor) -> date | None:
        return {
            Anchor.COLLECTED: self.collected,
            Anchor.RELATIONSHIP_STARTED: self.relationship_started,
            Anchor.RELATIONSHIP_ENDED: self.relationship_ended,
            Anchor.LAST_INTERACTION: self.last_interaction,
            Anchor.CUSTOMER_UNTIL: self.customer_until,
            Anchor.SUPPLIER_UNTIL: self.supplier_until,
            Anchor.PARTNER_UNTIL: self.partner_until,
            Anchor.FINANCIAL_YEAR_ENDED: self.financial_year_ended,
        }[anchor]

    def holds(self, condition: Condition) -> bool:
        return {
            Condition.IS_CUSTOMER: self.is_customer,
            Condition.IS_SUPPLIER: self.is_supplier,
            Condition.IS_PARTNER: self.is_partner,
            Condition.RELATIONSHIP_OPEN: self.relationship_started is not None and self.relationship_ended is None,
        }[condition]


@dataclass(frozen=True)
class Due:
    """When a rule makes a relationship due, and which fact decided it."""

    on: date | None
    anchor: Anchor  # the fact counted from: the rule's own `from`, or relationship.ended for a former contact
    anchor_date: date | None
    contact_ended: bool  # the `contact_ended` bound decided (the person's own role ended first)


def due(rule: RetentionRule, facts: RetentionFacts) -> Due:
    """`due_date` with the fact that decided it, for plans and tombstones that say why."""
    main = _main_due(rule, facts)
    own_end = facts.relationship_ended
    if rule.contact_ended is not None and own_end is not None:
        bounded = add_duration(own_end, rule.contact_ended.keep)
        if main is None or bounded < main:
            return Due(bounded, Anchor.RELATIONSHIP_ENDED, own_end, True)
    return Due(main, rule.from_, facts.date_of(rule.from_), False)


def due_date(rule: RetentionRule, facts: RetentionFacts) -> date | None:
    """The first day on which the rule no longer allows keeping the data, or None while there is no end yet.

    None when the `while` condition still holds (e.g. the organisation is still a customer) or the anchor fact
    is absent (e.g. the relationship has not ended). A rounded anchor stands for the instant the year or month
    ended, so P7Y from a financial year ended 2023-06-30 runs out at the end of 2030: due 2031-01-01. With
    `contact_ended`, a former contact is due on the earlier of that date and `keep` after their own role ended.
    """
    return due(rule, facts).on


def _main_due(rule: RetentionRule, facts: RetentionFacts) -> date | None:
    if rule.while_ is not None and facts.holds(rule.while_):
        return None
    anchor = facts.date_of(rule.from_)
    if anchor is None:
        return None
    if rule.round is Rounding.END_OF_YEAR:
        anchor = date(anchor.year + 1, 1, 1)
    elif rule.round is Rounding.END_OF_MONTH:
        anchor = add_duration(anchor.replace(day=1), Duration(months=1))
    return add_duration(anchor, rule.period)
