"""The notice as facts taken from a policy, before any wording: what Art. 13 and 14 require us to tell.

Nothing here is in a language; `compose` words these facts in English or Swedish.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from custos.policy import (
    Activity,
    ConsentSettings,
    ContactChannel,
    Cookie,
    DataCategory,
    DataProtection,
    LegalBasis,
    Organisation,
    Policy,
    ProcessorService,
    Recipient,
    SecurityMeasure,
    SubjectCategory,
    Transfer,
)
from custos.policy.cookies import LocalText

_T = TypeVar("_T")

# Where people are sent, in the order a reader needs them: rights first, then the quickest way for customers.
_CHANNEL_ORDER = (ContactChannel.PRIVACY, ContactChannel.PORTAL, ContactChannel.SUPPORT, ContactChannel.INFO)


@dataclass(frozen=True)
class ContactPoint:
    channel: ContactChannel
    address: str

    @property
    def href(self) -> str:
        return self.address if self.channel is ContactChannel.PORTAL else f"mailto:{self.address}"

    @property
    def label(self) -> str:
        """The portal shown without its scheme, as people type it (support.example.com)."""
        return self.address.removeprefix("https://").removeprefix("http://").rstrip("/")


@dataclass(frozen=True)
class ActivityFacts:
    activity: Activity
    data: tuple[DataCategory, ...]
    erasure: ContactPoint | None  # where to ask to be permanently deleted, when always offered (Art. 17)


@dataclass(frozen=True)
class SubjectFacts:
    category: SubjectCategory
    activities: tuple[ActivityFacts, ...]


@dataclass(frozen=True)
class Notice:
    organisation: Organisation
    data_protection: DataProtection
    preamble: LocalText | None  # the policy's introduction, in every language it gives
    contacts: tuple[ContactPoint, ...]
    subjects: tuple[SubjectFacts, ...]
    recipients: tuple[Recipient, ...]
    transfers: tuple[Transfer, ...]
    erasure_points: tuple[ContactPoint, ...]
    processor: tuple[ProcessorService, ...]
    security: tuple[SecurityMeasure, ...]
    cookies: tuple[Cookie, ...]
    consent: ConsentSettings | None
    bases: frozenset[LegalBasis]
    version: dt.date
    previous: tuple[dt.date, ...]  # newest first

    def contact(self, channel: ContactChannel) -> ContactPoint | None:
        return next((point for point in self.contacts if point.channel is channel), None)

    @property
    def privacy(self) -> ContactPoint:
        point = self.contact(ContactChannel.PRIVACY)
        assert point is not None  # organisation.contacts.privacy is required by the model
        return point


def build_notice(policy: Policy) -> Notice:
    """The facts of the notice of `policy`'s own current version."""
    contacts = _contacts(policy)
    subjects = tuple(_subject(policy, category, contacts) for category in policy.subject_categories)
    activities = [facts for subject in subjects for facts in subject.activities]
    return Notice(
        organisation=policy.organisation,
        data_protection=policy.data_protection,
        preamble=policy.preamble,
        contacts=contacts,
        subjects=tuple(subject for subject in subjects if subject.activities),
        recipients=_unique(r for a in policy.activities for r in a.recipients),
        transfers=_unique(t for a in policy.activities for t in a.transfers),
        erasure_points=_unique(f.erasure for f in activities if f.erasure is not None),
        processor=tuple(policy.processor),
        security=tuple(policy.security_measures),
        cookies=tuple(policy.cookies),
        consent=policy.consent,
        bases=frozenset(activity.legal_basis for activity in policy.activities),
        version=policy.current_version,
        previous=tuple(v.date for v in reversed(policy.versions_sorted) if v.date != policy.current_version),
    )


def _contacts(policy: Policy) -> tuple[ContactPoint, ...]:
    given = policy.organisation.contacts
    return tuple(
        ContactPoint(channel, str(value))
        for channel in _CHANNEL_ORDER
        if (value := getattr(given, channel.value)) is not None
    )


def _subject(policy: Policy, category: SubjectCategory, contacts: tuple[ContactPoint, ...]) -> SubjectFacts:
    by_channel = {point.channel: point for point in contacts}
    facts = []
    for activity in policy.activities_for_subject(category.id):
        offer = activity.erasure
        erasure = None
        if offer is not None and offer.always_offered:
            # An offer through a channel the policy gives no address for falls back to the privacy address.
            erasure = by_channel.get(offer.via, by_channel[ContactChannel.PRIVACY])
        facts.append(ActivityFacts(activity, tuple(policy.resolve_data(activity)), erasure))
    return SubjectFacts(category, tuple(facts))


def _unique(items: Iterable[_T]) -> tuple[_T, ...]:
    """In first-seen order; the same recipient named by several activities is listed once."""
    return tuple(dict.fromkeys(items))
