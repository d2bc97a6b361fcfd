"""Processing activities: purpose, legal basis, data, subjects, retention (rows of an Art. 30(1) record)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from custos.policy._base import PolicyModel, Slug, Text
from custos.policy.cookies import LocalText
from custos.policy.retention import RetentionRule


class LegalBasis(StrEnum):
    """GDPR Art. 6(1)(a)–(f); one per activity."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTEREST = "legitimate_interest"


class AssessmentOutcome(StrEnum):
    # Art. 6(1)(f): the interest may be relied on only where it is not overridden by the subject's interests.
    INTEREST_PREVAILS = "interest_prevails"
    SUBJECT_PREVAILS = "subject_prevails"


class Assessment(PolicyModel):
    """A legitimate-interest assessment (LIA): the three-step test of Art. 6(1)(f); EDPB GL 1/2024."""

    interest: LocalText = Field(description="the legitimate interest pursued")
    necessity: Text = Field(description="why the processing is necessary for that interest")
    balancing: Text = Field(description="the subject's interests and reasonable expectations weighed")
    safeguards: Text = Field(description="what limits the impact, e.g. objection always honoured")
    outcome: AssessmentOutcome = Field(description="interest_prevails or subject_prevails")
    owner: Text = Field(description="who is responsible for the assessment")
    date: dt.date = Field(description="when the assessment was made")
    review_date: dt.date = Field(description="when it is to be reviewed again")


class RecipientKind(StrEnum):
    PROCESSOR = "processor"
    CONTROLLER = "controller"
    AUTHORITY = "authority"


class Recipient(PolicyModel):
    """Who receives the data (Art. 13(1)(e), 30(1)(d)); told of rectification and erasure (Art. 19)."""

    name: Text
    kind: RecipientKind
    description: LocalText | None = None


class Safeguard(StrEnum):
    """Chapter V GDPR: the ground that makes a transfer outside the EEA lawful."""

    ADEQUACY = "adequacy"  # Art. 45
    STANDARD_CONTRACTUAL_CLAUSES = "standard_contractual_clauses"  # Art. 46(2)(c)
    BINDING_CORPORATE_RULES = "binding_corporate_rules"  # Art. 47
    DEROGATION = "derogation"  # Art. 49


class Transfer(PolicyModel):
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = Field(
        description="ISO 3166-1 alpha-2 country code, e.g. US"
    )
    safeguard: Safeguard
    recipient: Text | None = None


class ContactChannel(StrEnum):
    """The organisation's contact points a notice may direct subjects to (keys of organisation.contacts)."""

    PRIVACY = "privacy"
    SUPPORT = "support"
    INFO = "info"
    PORTAL = "portal"


class ErasureReview(StrEnum):
    """Whether an erasure request that touches the activity waits for a person's assessment first."""

    NONE = "none"
    REQUIRED = "required"


class ErasureGround(StrEnum):
    """The Art. 17(3) exceptions a reviewer may keep data under."""

    LEGAL_OBLIGATION = "legal_obligation"  # Art. 17(3)(b): a law requires keeping it
    LEGAL_CLAIMS = "legal_claims"  # Art. 17(3)(e): needed for the establishment, exercise or defence of claims

    @property
    def article(self) -> str:
        return "17(3)(b)" if self is ErasureGround.LEGAL_OBLIGATION else "17(3)(e)"


class ErasureOffer(PolicyModel):
    """How erasure (Art. 17) works for the activity: whether subjects may always ask to be permanently deleted
    and where (Art. 12(2)), and whether a person assesses an erasure request first (`review: required`), on
    which Art. 17(3) grounds they may keep data, and which of the activity's categories they decide on."""

    always_offered: bool = True
    via: ContactChannel = ContactChannel.PRIVACY
    review: ErasureReview = Field(
        default=ErasureReview.NONE,
        description="required: an erasure request stops for a staff assessment before anything is erased",
    )
    grounds: list[ErasureGround] = Field(
        default_factory=list, description="what a reviewer may keep data under: legal_obligation, legal_claims"
    )
    categories: list[str] = Field(
        default_factory=list,
        description="ids or globs of the activity's data the reviewer decides on; empty: all of its data",
    )

    @model_validator(mode="after")
    def _review_has_grounds(self) -> Self:
        if self.review is ErasureReview.REQUIRED and not self.grounds:
            raise PydanticCustomError(
                "erasure_review",
                "`review: required` needs the Art. 17(3) grounds a reviewer may keep data under",
                {"hint": "add e.g. `grounds: [legal_obligation, legal_claims]`"},
            )
        if self.review is not ErasureReview.REQUIRED and (self.grounds or self.categories):
            raise PydanticCustomError(
                "erasure_review",
                "`grounds` and `categories` belong with `review: required`",
                {"hint": "add `review: required`, or leave `grounds` and `categories` out"},
            )
        if len(set(self.grounds)) != len(self.grounds):
            raise PydanticCustomError("erasure_review", "a ground is listed twice", {"hint": "list each once"})
        return self


Use = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$")]


class Activity(PolicyModel):
    # The texts the notice shows are a text, or one per language ({en: ..., sv: ...}); see LocalText.
    id: Slug
    name: LocalText
    purpose: LocalText = Field(description="why the data is processed (Art. 5(1)(b), 13(1)(c))")
    legal_basis: LegalBasis = Field(description="one of consent, contract, legal_obligation, legitimate_interest, …")
    law: Text | None = Field(default=None, description="the law behind a legal_obligation basis (Art. 6(3))")
    assessment: Assessment | None = Field(default=None, description="required for legitimate_interest")
    subjects: list[Slug] = Field(min_length=1, description="ids from subject_categories")
    data: list[str] = Field(min_length=1, description="ids or globs (contact.*) from data_categories")
    uses: list[Use] = Field(default_factory=list, description="e.g. mailings, selections")
    retention: RetentionRule = Field(description="e.g. {keep: P10Y, from: relationship.ended}")
    systems: list[Slug] = Field(default_factory=list, description="ids from systems")
    recipients: list[Recipient] = Field(default_factory=list)
    transfers: list[Transfer] = Field(default_factory=list)
    source: LocalText | None = Field(default=None, description="where the data comes from (Art. 14(2)(f))")
    transparency: LocalText | None = Field(default=None, description="how subjects learn they are registered")
    erasure: ErasureOffer | None = None
    notes: LocalText | None = None

    @property
    def needs_erasure_review(self) -> bool:
        return self.erasure is not None and self.erasure.review is ErasureReview.REQUIRED
