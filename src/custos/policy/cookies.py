"""The cookie inventory and consent settings (LEK 2022:482 9 kap. 28 §; GDPR Art. 4(11), 7)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    Field,
    GetCoreSchemaHandler,
    HttpUrl,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

from custos.policy._base import DatePeriod, PolicyModel, Text
from custos.policy.durations import DURATION_HINT, Duration, DurationError, parse_duration

# The languages the notice and the banner speak; a visitor's page language picks one.
LANGUAGES = ("en", "sv")


class LocalText(str):
    """A text the visitor reads, in one wording for every language or one per language.

    In the file either a plain string (`name: Analytics`, the same for English and Swedish visitors) or a
    mapping with every language (`name: {en: Analytics, sv: Analys}`); a mapping missing a language is an
    error, so no visitor is silently shown another language than their page's. As a `str` it is the English
    text, which is what code that knows no language (and older policies) sees; `in_(lang)` gives the visitor's.
    It dumps back the way it was written, so the policy and inventory hashes cover every translation.
    """

    _by_language: dict[str, str]

    def __new__(cls, by_language: Mapping[str, str]) -> LocalText:
        text = super().__new__(cls, by_language["en"])
        text._by_language = dict(by_language)
        return text

    def __reduce__(self) -> tuple[type[LocalText], tuple[dict[str, str]]]:
        # str's own reduction would rebuild it from the English text alone (copy.deepcopy, pickle).
        return (LocalText, (dict(self._by_language),))

    def in_(self, lang: str) -> str:
        return self._by_language.get(lang, str(self))

    @property
    def translated(self) -> bool:
        return len(set(self._by_language.values())) > 1

    @classmethod
    def _parse(cls, value: Any) -> LocalText:
        if isinstance(value, LocalText):
            return value
        if isinstance(value, str):
            if not value.strip():
                raise PydanticCustomError("local_text", "an empty text", {"hint": "write the text"})
            return cls(dict.fromkeys(LANGUAGES, value.strip()))
        if not isinstance(value, Mapping):
            raise PydanticCustomError(
                "local_text",
                "expected a text, or a mapping from language to text",
                {"hint": "e.g. `Analytics`, or `{en: Analytics, sv: Analys}`"},
            )
        unknown = sorted(str(k) for k in value if k not in LANGUAGES)
        missing = [lang for lang in LANGUAGES if not isinstance(value.get(lang), str) or not value[lang].strip()]
        if unknown or missing:
            problem = f"unknown language {', '.join(unknown)}" if unknown else f"no `{'`, `'.join(missing)}` text"
            raise PydanticCustomError(
                "local_text",
                "{reason}",
                {
                    "reason": f"{problem}: a text given per language needs every language ({', '.join(LANGUAGES)})",
                    "hint": "add the missing language, or write one plain text for all languages",
                },
            )
        return cls({lang: str(value[lang]).strip() for lang in LANGUAGES})

    def _dump(self) -> str | dict[str, str]:
        return dict(self._by_language) if self.translated else str(self)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._parse, serialization=core_schema.plain_serializer_function_ser_schema(lambda v: v._dump())
        )


class CookieCategory(StrEnum):
    # Only strictly necessary storage is exempt from consent (LEK 9 kap. 28 § second paragraph).
    NECESSARY = "necessary"
    PREFERENCES = "preferences"
    ANALYTICS = "analytics"
    MARKETING = "marketing"


class Party(StrEnum):
    # Visitors are told whether third parties can read a cookie (ePrivacy Art. 5(3), EDPB GL 05/2020 on consent).
    FIRST = "first"
    THIRD = "third"


def _check_lifetime(value: str) -> str:
    if value == "session":
        return value
    try:
        parse_duration(value, allow_time=True)
    except DurationError as error:
        raise PydanticCustomError(
            "cookie_lifetime",
            "{reason}",
            {
                "reason": f"{error}; a cookie lifetime is `session` or a duration",
                "hint": DURATION_HINT + ", PT30M",
            },
        ) from None
    return value


# `session` or an ISO 8601 duration; cookies may live minutes, so time parts (PT30M) are allowed here.
CookieLifetime = Annotated[str, AfterValidator(_check_lifetime)]


class Cookie(PolicyModel):
    name: Text = Field(description="the cookie name; a trailing * stands for a site-specific suffix")
    provider: Text
    category: CookieCategory = Field(description="necessary, preferences, analytics or marketing")
    party: Party = Field(description="first or third")
    lifetime: CookieLifetime = Field(description="session, or a duration such as P365D or PT30M")
    purpose: LocalText = Field(description="a text, or one per language: {en: ..., sv: ...}")
    privacy_url: HttpUrl | None = Field(default=None, description="the provider's privacy information")

    @property
    def duration(self) -> Duration | None:
        """The persistent lifetime, or None for a session cookie."""
        return None if self.lifetime == "session" else Duration.parse(self.lifetime)


class ConsentCategory(PolicyModel):
    id: CookieCategory
    name: LocalText = Field(description="a text, or one per language: {en: ..., sv: ...}")
    description: LocalText = Field(description="a text, or one per language: {en: ..., sv: ...}")


class IconPosition(StrEnum):
    BOTTOM_LEFT = "bottom-left"
    BOTTOM_RIGHT = "bottom-right"
    TOP_LEFT = "top-left"
    TOP_RIGHT = "top-right"


def _check_origin(value: str) -> str:
    if not re.fullmatch(r"https?://[a-z0-9.-]+(:[0-9]{1,5})?", value):
        raise PydanticCustomError(
            "site_origin",
            "{reason}",
            {
                "reason": f"{value!r} is not a web origin",
                "hint": "scheme and host (and port) only, lower case, no path: e.g. https://www.example.se",
            },
        )
    return value


SiteOrigin = Annotated[str, AfterValidator(_check_origin)]


class PiwikProMode(StrEnum):
    # The container is a blocked script (`type="text/plain" data-category="analytics"`) until analytics is
    # consented to: nothing of Piwik PRO loads before the choice. The default.
    CONTAINER = "container"
    # The container loads at once and Piwik PRO's own consent manager holds its tags; the banner passes each
    # choice on with `ppms.cm.api('setComplianceSettings', ...)`.
    CONSENT_API = "consent_api"


class ConsentAdapters(PolicyModel):
    """How the banner tells the site's tag managers about a choice (it always blocks tagged scripts itself)."""

    piwik_pro: PiwikProMode = PiwikProMode.CONTAINER
    # Google Consent Mode v2: the site loads /consent/consent-default.js before any Google tag, which sets
    # every storage type to denied; the banner sends the update after the visitor's choice.
    google_consent_mode: bool = False


class ConsentSettings(PolicyModel):
    validity: DatePeriod = Field(description="how long a consent lasts before it is asked again, e.g. P365D")
    # Continued browsing is not consent (CJEU C-673/17 Planet49; GDPR Art. 4(11)); false unless set.
    implied_by_browsing: bool = False
    # Withdrawal must be as easy as giving consent (Art. 7(3)): a floating icon that is always there.
    withdraw_icon: IconPosition = IconPosition.BOTTOM_LEFT
    # Global Privacy Control is an objection by automated means (Art. 21(5)); honoured unless said otherwise.
    gpc_honoured: bool = True
    categories: list[ConsentCategory] = Field(default_factory=list)
    adapters: ConsentAdapters = Field(default_factory=ConsentAdapters)
    # Sites on another origin than Custos that embed the banner (e.g. https://www.example.se while Custos is
    # https://consent.example.se): only they may read the visitor's state and record choices across origins.
    sites: list[SiteOrigin] = Field(default_factory=list)
    # How long a consent record is kept as proof (Art. 7(1), 5(1)(e)); unset: the validity plus the limitation
    # period of the organisation's country (custos.consent.months.proof_retention). Never shorter than validity.
    proof_retention: DatePeriod | None = Field(
        default=None, description="how long the proof of a choice is kept, e.g. P11Y; default: validity + limitation"
    )

    @model_validator(mode="after")
    def _proof_outlives_consent(self) -> ConsentSettings:
        if self.proof_retention is not None and self.validity.longer_than(self.proof_retention):
            raise PydanticCustomError(
                "proof_retention",
                "{reason}",
                {
                    "reason": f"proof_retention {self.proof_retention} is shorter than the validity {self.validity}",
                    "hint": "keep the proof at least as long as the consent it proves lasts, e.g. P11Y",
                },
            )
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Left out while at their defaults, so a policy that does not use them keeps its content hash (and its
        # visitors' consents) across the upgrade that added them.
        dumped: dict[str, Any] = handler(self)
        if self.adapters == ConsentAdapters():
            dumped.pop("adapters", None)
        if not self.sites:
            dumped.pop("sites", None)
        if self.proof_retention is None:
            dumped.pop("proof_retention", None)
        return dumped
