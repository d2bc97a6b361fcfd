"""What a visitor is asked to consent to, derived from the policy: the categories, how long a choice lasts,
and the version and inventory hashes a record points at; plus the banner's texts in the visitor's language.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from custos.notice import load_wording
from custos.notice.phrases import lifetime
from custos.policy import Cookie, CookieCategory, Party, Policy
from custos.policy.cookies import ConsentAdapters
from custos.texts import read_texts

# The policy's own limit, and the longest the consent cookie may live: consent is asked again at least once a
# year, so a choice is not taken as still meant long after it was made (Art. 7(1): the controller must be able
# to show the consent holds). A longer `validity` in a policy file is capped, not obeyed.
MAX_VALIDITY = timedelta(days=365)
CONSENT_COOKIE = "custos_consent"


@dataclass(frozen=True)
class ConsentTerms:
    policy_version: date
    policy_hash: str
    inventory_hash: str
    categories: tuple[str, ...]  # the categories that need consent, in the policy's order
    validity: timedelta
    gpc_honoured: bool


def _canonical_hash(value: object) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def consent_categories(policy: Policy) -> list[str]:
    """Every non-necessary category the policy names, in its consent section or in its cookie list.

    Only strictly necessary storage is exempt from consent (LEK 2022:482 9 kap. 28 § second paragraph), so a
    cookie whose category the consent section forgot is still asked about.
    """
    named = [c.id.value for c in policy.consent.categories] if policy.consent else []
    listed = [c.category.value for c in policy.cookies]
    return [c for c in dict.fromkeys(named + listed) if c != CookieCategory.NECESSARY.value]


class TermsCache:
    """The terms of the policy object last asked about: hashing the policy is the costly part, and policies
    are replaced, not changed (frozen), so identity is enough. One per app, kept on `app.state`."""

    def __init__(self) -> None:
        self._last: tuple[Policy, ConsentTerms] | None = None

    def __call__(self, policy: Policy) -> ConsentTerms:
        if self._last is None or self._last[0] is not policy:
            self._last = (policy, terms_for(policy))
        return self._last[1]


def terms_for(policy: Policy) -> ConsentTerms:
    """The terms of `policy`: its version and hashes, the categories asked about, and how long consent lasts."""
    consent = policy.consent
    days = 365
    if consent is not None:
        days = min(consent.validity.days_from(policy.current_version), 365)
    # The inventory shown: each cookie and each category as the banner describes them. A change to either
    # means the old choice was not informed about what is asked now, so the banner asks again.
    inventory = {
        "cookies": [c.model_dump(mode="json") for c in policy.cookies],
        "categories": [c.model_dump(mode="json") for c in consent.categories] if consent else [],
    }
    terms = ConsentTerms(
        policy_version=policy.current_version,
        policy_hash=policy.content_hash(),
        inventory_hash=_canonical_hash(inventory),
        categories=tuple(consent_categories(policy)),
        validity=min(timedelta(days=days), MAX_VALIDITY),
        gpc_honoured=consent.gpc_honoured if consent else True,
    )
    return terms


def _banner_texts(lang: str) -> dict[str, str]:
    return {str(k): str(v) for k, v in read_texts("custos.consent", lang).items()}


def _cookie(cookie: Cookie, lang: str) -> dict[str, str]:
    words = load_wording(lang)
    # Visitors are told each cookie's lifetime and who can read it (EDPB GL 05/2020; LEK 9 kap. 28 §).
    party = (
        words("cookies.first_party")
        if cookie.party is Party.FIRST
        else words("cookies.third_party", provider=cookie.provider)
    )
    return {"name": cookie.name, "provider": cookie.provider, "party": party, "lifetime": lifetime(words, cookie)}


def banner_config(policy: Policy, lang: str, terms: ConsentTerms) -> dict[str, Any]:
    """Everything the banner shows, in `lang` (en or sv): Custos's wording plus the policy's categories."""
    texts = _banner_texts(lang)
    texts["intro"] = texts["intro"].format(organisation=policy.organisation.name)
    consent = policy.consent
    named = {c.id.value: c for c in consent.categories} if consent else {}
    notice_words = load_wording(lang)
    categories = []
    for category in consent_categories(policy):
        described = named.get(category)
        categories.append(
            {
                "id": category,
                "name": described.name.in_(lang) if described else notice_words(f"cookies.categories.{category}"),
                "description": described.description.in_(lang) if described else "",
                "cookies": [_cookie(c, lang) for c in policy.cookies if c.category.value == category],
            }
        )
    return {
        "lang": lang,
        "version": terms.policy_version.isoformat(),
        "texts": texts,
        "categories": categories,
        "necessary": [_cookie(c, lang) for c in policy.cookies if c.category is CookieCategory.NECESSARY],
        "icon": consent.withdraw_icon.value if consent else "bottom-left",
        "privacy_url": f"/privacy?lang={lang}",
        "gpc_honoured": terms.gpc_honoured,
        "adapters": (consent.adapters if consent else ConsentAdapters()).model_dump(mode="json"),
    }
