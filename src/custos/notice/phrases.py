"""Policy data in plain words: retention periods, legal bases, cookie lifetimes, recipients, transfers.

Art. 13(2)(a) asks for the storage period "or the criteria used to determine it"; these sentences are built
from the retention rule itself, so the notice cannot drift from what the retention sweep enforces.
"""

from __future__ import annotations

from custos.notice.wording import Wording
from custos.policy import (
    Activity,
    Anchor,
    Condition,
    Cookie,
    DataCategory,
    LegalBasis,
    Recipient,
    RetentionRule,
    Rounding,
    SubjectKind,
    Transfer,
)

# The register fact at which a `while` condition stops holding; counted from it, the period is said as
# "after it stops being one" rather than repeating the condition.
_STOPS = {
    Condition.IS_CUSTOMER: Anchor.CUSTOMER_UNTIL,
    Condition.IS_SUPPLIER: Anchor.SUPPLIER_UNTIL,
    Condition.IS_PARTNER: Anchor.PARTNER_UNTIL,
    Condition.RELATIONSHIP_OPEN: Anchor.RELATIONSHIP_ENDED,
}


def _key(value: Anchor | Condition) -> str:
    return value.name.lower()


def relation(words: Wording, kinds: list[SubjectKind]) -> str:
    """What a 'relationship' is to these subjects: 'the employment, contract or partnership'."""
    nouns = list(dict.fromkeys(words.text(f"relations.{kind.value}") for kind in kinds))
    return words.join(nouns, "or")


def counted_from(words: Wording, rule: RetentionRule, kinds: list[SubjectKind]) -> str:
    """'after we were last in contact with you', 'after the end of the calendar year in which …'."""
    event = words(f"retention.events.{_key(rule.from_)}", relation=relation(words, kinds))
    if rule.round is Rounding.END_OF_YEAR:
        return words("retention.after_end_of_year", event=event)
    if rule.round is Rounding.END_OF_MONTH:
        return words("retention.after_end_of_month", event=event)
    return words("retention.after", event=event)


def retention(words: Wording, rule: RetentionRule, kinds: list[SubjectKind]) -> str:
    text = _retention(words, rule, kinds)
    if rule.contact_ended is not None and rule.role is not None:
        # Art. 13(2)(a): a former contact is told the shorter period that applies to them too.
        bound = words(f"retention.contact_ended.{rule.role}", period=words.duration(rule.contact_ended.keep))
        text = f"{text} {bound}"
    return text


def _retention(words: Wording, rule: RetentionRule, kinds: list[SubjectKind]) -> str:
    period = words.duration(rule.period)
    if rule.while_ is None:
        return words("retention.keep", period=period, after=counted_from(words, rule, kinds))
    if _STOPS[rule.while_] is rule.from_ and rule.round is None:
        after = words(f"retention.stops.{_key(rule.while_)}")
    else:
        after = counted_from(words, rule, kinds)
    condition = words(f"retention.while.{_key(rule.while_)}")
    return words("retention.kept_while", condition=condition, period=period, after=after)


def legal_minimum(words: Wording, category: DataCategory, kinds: list[SubjectKind]) -> str | None:
    """A period a law makes us keep data for, which a request for erasure cannot shorten (Art. 17(3)(b))."""
    rule = category.legal_retention
    if rule is None:
        return None
    return words(
        "retention.legal_minimum",
        data=category.description.in_(words.lang),
        period=words.duration(rule.period),
        after=counted_from(words, rule, kinds),
        law=rule.law,
    )


def legal_basis(words: Wording, activity: Activity) -> list[str]:
    basis = activity.legal_basis
    lines = [words(f"bases.{basis.value}", law=activity.law or words("bases.unnamed_law"))]
    if basis is LegalBasis.LEGITIMATE_INTEREST:
        if activity.assessment is not None:
            lines.append(words("bases.our_interest", interest=activity.assessment.interest.in_(words.lang)))
        lines.append(words("bases.objection"))
    return lines


def lifetime(words: Wording, cookie: Cookie) -> str:
    duration = cookie.duration
    if duration is None:
        return words("cookies.session")
    return words("cookies.persistent", period=words.duration(duration))


def use(words: Wording, slug: str) -> str:
    # A use the wording does not know is still shown, as written in the policy.
    return words.optional(f"uses.{slug}") or slug.replace("-", " ")


def recipient(words: Wording, item: Recipient) -> str:
    said = words(f"recipients.kinds.{item.kind.value}", name=item.name)
    return f"{said} {item.description.in_(words.lang)}" if item.description else said


def transfer(words: Wording, item: Transfer) -> str:
    country = words.optional(f"countries.{item.country}") or item.country
    safeguard = words(f"recipients.safeguards.{item.safeguard.value}")
    if item.recipient:
        return words("recipients.transfer_to", recipient=item.recipient, country=country, safeguard=safeguard)
    return words("recipients.transfer", country=country, safeguard=safeguard)
